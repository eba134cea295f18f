/**
 * weighted-random: draws the order without replacement, each pick in proportion to its
 * weight (the route's `weights`, else the model's `weight`, default 1), by
 * Efraimidis-Spirakis keys, largest first: one draw per candidate, O(n log n). Seed the
 * router for a replayable sequence.
 *
 * The key is log(random) / weight, the logarithm of the textbook random^(1/weight): the same
 * order, one `Math.log` instead of a `Math.pow` (which was half a decision's cost at 1,000
 * candidates), and no underflow: random^(1/0.1) is below 2^-32 for one draw in ten, where
 * 32-bit keys tied and the tie went to route order. The keys are radix-sorted as 32-bit
 * integers of a monotone map (no per-candidate object, no comparator: the comparator sort of
 * keyed objects was most of a decision's cost at 100+ candidates), and the rare runs that
 * share a 32-bit key are put in exact order after.
 */
import type { CandidateView, RankedCandidate, RoutingStrategy } from '../types';
import { round, sortIndicesByKey } from './rank-helpers';

const KEY_MAX = 2 ** 32 - 1;

/** What a decision needs that depends only on the candidates and the route's weights. */
interface Prepared {
  weights: Record<string, number> | undefined;
  /** What it was prepared from, per candidate: id, weight and route order. */
  modelIds: string[];
  candidateWeights: Float64Array;
  orders: Float64Array;
  /** Candidates with a positive weight, in candidate order, and 1 / their weight. */
  drawn: Uint32Array;
  inverseWeights: Float64Array;
  /** Weight 0 never wins a draw: those go last, in route order. */
  undrawn: Uint32Array;
  /** Per candidate, its explanation (shared by every decision on these candidates). */
  details: Record<string, number>[];
}

/**
 * The last preparation. Weights change with config only, not with load or latency, so
 * consecutive decisions on the same models reuse it after checking each candidate's id,
 * weight and order (a few comparisons each): no weight lookups, no explanation objects.
 */
let last: Prepared | undefined;

function isPreparedFor(
  kept: Prepared,
  candidates: readonly CandidateView[],
  weights: Record<string, number> | undefined,
): boolean {
  if (kept.weights !== weights || kept.modelIds.length !== candidates.length) return false;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index]!;
    if (
      kept.modelIds[index] !== candidate.modelId ||
      kept.candidateWeights[index] !== candidate.weight ||
      kept.orders[index] !== candidate.order
    )
      return false;
  }
  return true;
}

function prepare(
  candidates: readonly CandidateView[],
  weights: Record<string, number> | undefined,
): Prepared {
  if (last && isPreparedFor(last, candidates, weights)) return last;
  const count = candidates.length;
  const candidateWeights = new Float64Array(count);
  const weightOf = new Float64Array(count);
  const drawn: number[] = [];
  const undrawn: number[] = [];
  let total = 0;
  for (let index = 0; index < count; index++) {
    const candidate = candidates[index]!;
    const weight = weights?.[candidate.modelId] ?? candidate.weight;
    candidateWeights[index] = candidate.weight;
    weightOf[index] = weight;
    total += weight;
    if (weight > 0) drawn.push(index);
    else undrawn.push(index);
  }
  if (undrawn.length > 1) undrawn.sort((a, b) => candidates[a]!.order - candidates[b]!.order);
  const inverseWeights = new Float64Array(drawn.length);
  for (let position = 0; position < drawn.length; position++)
    inverseWeights[position] = 1 / weightOf[drawn[position]!]!;
  last = {
    weights,
    modelIds: candidates.map((candidate) => candidate.modelId),
    candidateWeights,
    orders: Float64Array.from(candidates, (candidate) => candidate.order),
    drawn: Uint32Array.from(drawn),
    inverseWeights,
    undrawn: Uint32Array.from(undrawn),
    details: Array.from(weightOf, (weight) => ({
      weight,
      probability: total > 0 ? round(weight / total) : 0,
    })),
  };
  return last;
}

/**
 * Candidates whose keys share a 32-bit quantum (far down the order, where the map compresses
 * small keys, or a true tie) are put in exact order: larger key first, equal keys in
 * candidate order. Runs are short, so insertion sort.
 */
function orderTies(order: Uint32Array, quantized: Uint32Array, keys: Float64Array): void {
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && quantized[order[end]!] === quantized[order[start]!]) end++;
    for (let position = start + 1; position < end; position++) {
      const item = order[position]!;
      let slot = position;
      while (slot > start && before(item, order[slot - 1]!, keys)) {
        order[slot] = order[slot - 1]!;
        slot--;
      }
      order[slot] = item;
    }
    start = end;
  }
}

const before = (a: number, b: number, keys: Float64Array) =>
  keys[a]! > keys[b]! || (keys[a] === keys[b] && a < b);

/**
 * The keys and the radix sort's buffers, shared by every full ranking (ranking is
 * synchronous and keeps none of them), grown when a ranking has more candidates than any
 * before.
 */
let scratch:
  | { keys: Float64Array; quantized: Uint32Array; sort: [Uint32Array, Uint32Array] }
  | undefined;

function buffers(count: number) {
  if (!scratch || scratch.keys.length < count)
    scratch = {
      keys: new Float64Array(count),
      quantized: new Uint32Array(count),
      sort: [new Uint32Array(count), new Uint32Array(count)],
    };
  return scratch;
}

/**
 * One draw per drawn candidate, in candidate order: the decision's only use of randomness.
 * The draws belong to the decision (a later full ranking sorts by these same draws), so
 * they are a new array each time, not a shared buffer.
 */
function draw(prepared: Prepared, random: () => number): number[] {
  const count = prepared.drawn.length;
  const draws: number[] = [];
  for (let position = 0; position < count; position++) draws.push(random());
  return draws;
}

/** The full ranking the draws give: drawn candidates by descending key, then the undrawn. */
function rankByDraws(
  prepared: Prepared,
  draws: readonly number[],
  candidates: readonly CandidateView[],
): RankedCandidate[] {
  const { drawn, inverseWeights, undrawn, details } = prepared;
  const count = candidates.length;
  const drawnCount = drawn.length;
  // A key k = log(u) / w is in (-inf, 0]; 1 / (1 - k) maps it monotonically into (0, 1],
  // quantized to 32 bits and inverted so that ascending is largest first.
  const work = buffers(drawnCount);
  const keys = work.keys;
  const quantized = work.quantized.subarray(0, drawnCount);
  for (let position = 0; position < drawnCount; position++) {
    const key = Math.log(draws[position]!) * inverseWeights[position]!;
    keys[position] = key;
    quantized[position] = KEY_MAX - Math.floor(KEY_MAX / (1 - key));
  }
  const order = sortIndicesByKey(quantized, work.sort);
  orderTies(order, quantized, keys);
  const ranked: RankedCandidate[] = new Array(count);
  for (let position = 0; position < drawnCount; position++) {
    const index = drawn[order[position]!]!;
    ranked[position] = {
      modelId: candidates[index]!.modelId,
      score: (count - position) / count,
      details: details[index]!,
    };
  }
  for (let offset = 0; offset < undrawn.length; offset++) {
    const index = undrawn[offset]!;
    const position = drawnCount + offset;
    ranked[position] = {
      modelId: candidates[index]!.modelId,
      score: (count - position) / count,
      details: details[index]!,
    };
  }
  return ranked;
}

/**
 * The position (among the drawn) of the largest key, equal keys to the first. Most keys
 * need no logarithm: log(u) <= u - 1, also in floating point (for u >= 1/2, u - 1 is exact
 * and a faithful log cannot round above it; below, the two are far apart), and scaling by
 * 1 / w keeps the order, so a draw whose bound (u - 1) / w is not above the best key so far
 * cannot beat it. After the first few candidates almost every one is skipped that way.
 */
function largestKey(prepared: Prepared, draws: readonly number[]): number {
  const { inverseWeights } = prepared;
  let best = -1;
  let bestKey = Number.NEGATIVE_INFINITY;
  for (let position = 0; position < draws.length; position++) {
    const draw = draws[position]!;
    const inverseWeight = inverseWeights[position]!;
    if (best >= 0 && (draw - 1) * inverseWeight <= bestKey) continue;
    const key = Math.log(draw) * inverseWeight;
    if (best < 0 || key > bestKey) {
      best = position;
      bestKey = key;
    }
  }
  return best;
}

export const weightedRandomStrategy: RoutingStrategy = {
  name: 'weighted-random',
  rank(candidates, context) {
    const prepared = prepare(candidates, context.routeSettings.weights);
    return rankByDraws(prepared, draw(prepared, context.random), candidates);
  },
  // Every draw is made now (the same draws, so the same order, and the same sequence left
  // for the next decision); the winner is the largest key. The keys of the others, the
  // sort and the explanations wait until something needs the rest.
  select(candidates, context) {
    const prepared = prepare(candidates, context.routeSettings.weights);
    const draws = draw(prepared, context.random);
    const best = largestKey(prepared, draws);
    return {
      best: best >= 0 ? prepared.drawn[best]! : prepared.undrawn[0]!,
      rank: () => rankByDraws(prepared, draws, candidates),
    };
  },
};
