/** Small pieces the strategies share: normalisation and a stable best-first sort. */
import type { CandidateView, RankedCandidate, StrategySelection } from '../types';

/** Maps values to [0, 1] where the lowest is 1 and the highest 0; all equal (or unknown) -> 1. */
export function lowerIsBetter(values: readonly (number | undefined)[]): number[] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value === undefined) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const span = max - min;
  return values.map((value) =>
    value === undefined ? 0.5 : span > 0 ? 1 - (value - min) / span : 1,
  );
}

const ORDER_BITS = 2 ** 20;
const SCORE_STEPS = 1e6;

/**
 * Sorts by score (desc), then by the candidate's order in its route: deterministic.
 * `ranked[i]` must belong to `candidates[i]` (every strategy maps over its candidates).
 * Scores in [0, 1] (every built-in's) are packed with the order into one number and
 * sorted natively in a Float64Array: several times faster than a comparator, which is
 * most of a decision's cost at 100+ candidates.
 */
export function sortRanked(
  ranked: RankedCandidate[],
  candidates: readonly CandidateView[],
): RankedCandidate[] {
  const count = ranked.length;
  let maxOrder = 0;
  let packable = true;
  for (let index = 0; index < count; index++) {
    const score = ranked[index]!.score;
    const order = candidates[index]!.order;
    if (!(score >= 0 && score <= 1) || !(order >= 0 && order < ORDER_BITS)) {
      packable = false;
      break;
    }
    if (order > maxOrder) maxOrder = order;
  }
  // Which candidate has each order (orders must be unique to pack).
  const indexOfOrder = packable ? new Int32Array(maxOrder + 1).fill(-1) : undefined;
  for (let index = 0; indexOfOrder && index < count; index++) {
    const order = candidates[index]!.order;
    if (indexOfOrder[order] !== -1) packable = false;
    indexOfOrder[order] = index;
  }
  if (!packable || !indexOfOrder) {
    const indices = ranked.map((_, index) => index);
    indices.sort(
      (a, b) => ranked[b]!.score - ranked[a]!.score || candidates[a]!.order - candidates[b]!.order,
    );
    return indices.map((index) => ranked[index]!);
  }
  // Ascending keys: best score first (inverted), then lowest order.
  const keys = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    keys[index] =
      (SCORE_STEPS - Math.round(ranked[index]!.score * SCORE_STEPS)) * ORDER_BITS +
      candidates[index]!.order;
  }
  keys.sort();
  const sorted: RankedCandidate[] = new Array(count);
  for (let position = 0; position < count; position++)
    sorted[position] = ranked[indexOfOrder[keys[position]! % ORDER_BITS]!]!;
  return sorted;
}

/**
 * A score per candidate, shared by every selection (a selection is synchronous and keeps
 * none of it), grown when a decision has more candidates than any before.
 */
let scoreScratch = new Float64Array(64);

export function scoreBuffer(count: number): Float64Array {
  if (scoreScratch.length < count) scoreScratch = new Float64Array(count);
  return scoreScratch;
}

/**
 * The index of what `sortRanked` puts first, given each candidate's (rounded) score: the
 * highest score, ties to the lowest route order, then to the first (the sort is stable).
 * One pass, nothing allocated. -1 when a score is NaN: no order is defined then, and the
 * caller ranks fully instead.
 */
export function bestByScore(scores: Float64Array, candidates: readonly CandidateView[]): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  let bestOrder = 0;
  for (let index = 0; index < candidates.length; index++) {
    const score = scores[index]!;
    if (Number.isNaN(score)) return -1;
    if (best < 0 || score > bestScore) {
      best = index;
      bestScore = score;
      bestOrder = candidates[index]!.order;
    } else if (score === bestScore) {
      const order = candidates[index]!.order;
      if (order < bestOrder) {
        best = index;
        bestOrder = order;
      }
    }
  }
  return best;
}

/**
 * The first candidate a stable sort with `compare` gives (the first of equals wins): what
 * a strategy that sorts with a comparator puts first, in one pass.
 */
export function bestByComparator(count: number, compare: (a: number, b: number) => number): number {
  let best = 0;
  for (let index = 1; index < count; index++) if (compare(index, best) < 0) best = index;
  return best;
}

/** Whether a quality or cost is NaN (comparators on them are then inconsistent). */
export function hasNaN(candidates: readonly CandidateView[]): boolean {
  for (const candidate of candidates)
    if (Number.isNaN(candidate.quality) || Number.isNaN(candidate.estimatedCostUsd)) return true;
  return false;
}

/** A selection from a ranking already made (the rare inputs a fast path leaves to `rank`). */
export function selectionOf(
  ranked: RankedCandidate[],
  candidates: readonly CandidateView[],
): StrategySelection {
  const first = ranked[0]?.modelId;
  return {
    best: candidates.findIndex((candidate) => candidate.modelId === first),
    rank: () => ranked,
  };
}

/**
 * `lowerIsBetter` of the candidates' estimated latencies written into `into` (the same
 * arithmetic, so the same values to the bit), allocating nothing. False when a latency is
 * NaN: `lowerIsBetter` then gives NaN scores whose order only `rank` defines.
 */
export function latencyScoresInto(
  candidates: readonly CandidateView[],
  outputTokens: number,
  into: Float64Array,
): boolean {
  const count = candidates.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < count; index++) {
    const latency = estimatedLatencyMs(candidates[index]!, outputTokens);
    if (latency === undefined) {
      into[index] = Number.NaN; // Unknown: 0.5 below.
      continue;
    }
    if (Number.isNaN(latency)) return false;
    into[index] = latency;
    if (latency < min) min = latency;
    if (latency > max) max = latency;
  }
  const span = max - min;
  for (let index = 0; index < count; index++) {
    const latency = into[index]!;
    into[index] = Number.isNaN(latency) ? 0.5 : span > 0 ? 1 - (latency - min) / span : 1;
  }
  return true;
}

/** Estimated milliseconds to produce the request's output, or undefined when unknown. */
export function estimatedLatencyMs(
  candidate: CandidateView,
  outputTokens: number,
): number | undefined {
  if (candidate.ttftMs === undefined && candidate.tokensPerSecond === undefined) return undefined;
  const ttft = candidate.ttftMs ?? 0;
  const generation = candidate.tokensPerSecond
    ? (outputTokens / candidate.tokensPerSecond) * 1000
    : 0;
  return ttft + generation;
}

const scales = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** Rounds for readable explanations. A table lookup: `10 ** digits` per call was a decision's hottest line. */
export function round(value: number, digits = 6): number {
  const scale = scales[digits] ?? 1e6;
  return Math.round(value * scale) / scale;
}

const RADIX_COUNTS = new Uint32Array(257);

/**
 * The indices 0..keys.length-1 ordered by ascending key, ties in index order (stable):
 * an LSD radix sort over the four bytes of each key, O(n). Sorting a decision's
 * candidates this way costs a fraction of a typed-array or comparator sort at 1,000.
 *
 * `scratch`, when given, holds two buffers of at least `keys.length` that the sort works
 * in (a typed array per decision is an allocation outside the heap and a collection's
 * work): the result is then a view of one of them, valid until the next sort that uses it.
 */
export function sortIndicesByKey(
  keys: Uint32Array,
  scratch?: readonly [Uint32Array, Uint32Array],
): Uint32Array {
  const count = keys.length;
  let source = scratch ? scratch[0].subarray(0, count) : new Uint32Array(count);
  let target = scratch ? scratch[1].subarray(0, count) : new Uint32Array(count);
  for (let index = 0; index < count; index++) source[index] = index;
  for (let shift = 0; shift < 32; shift += 8) {
    const counts = RADIX_COUNTS.fill(0);
    for (let index = 0; index < count; index++) counts[((keys[index]! >>> shift) & 255) + 1]!++;
    // A byte the same in every key moves nothing: skip the pass.
    if (counts[((keys[0]! >>> shift) & 255) + 1] === count) continue;
    for (let bucket = 0; bucket < 256; bucket++) counts[bucket + 1]! += counts[bucket]!;
    for (let index = 0; index < count; index++) {
      const item = source[index]!;
      target[counts[(keys[item]! >>> shift) & 255]!++] = item;
    }
    [source, target] = [target, source];
  }
  return source;
}
