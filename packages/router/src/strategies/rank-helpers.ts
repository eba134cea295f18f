/** Small pieces the strategies share: normalisation and a stable best-first sort. */
import type { CandidateView, RankedCandidate } from '../types';

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
