/**
 * weighted-random: draws the order without replacement, each pick in proportion to its
 * weight (the route's `weights`, else the model's `weight`, default 1), by
 * Efraimidis-Spirakis keys (random^(1/weight), largest first): one draw per candidate,
 * O(n log n). Seed the router for a replayable sequence.
 *
 * The keys are radix-sorted as 32-bit integers (no per-candidate object, no comparator):
 * the comparator sort of keyed objects was most of a decision's cost at 100+ candidates.
 */
import type { CandidateView, RankedCandidate, RoutingStrategy } from '../types';
import { round, sortIndicesByKey } from './rank-helpers';

/** Keys are compared at 32-bit resolution (ties within 2^-32 keep route order). */
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
 * Work buffers shared by every decision (rank is synchronous and keeps none of them):
 * the quantized keys and the radix sort's two index buffers, grown when a decision has
 * more candidates than any before.
 */
let scratch: [Uint32Array, Uint32Array, Uint32Array] | undefined;

function buffers(count: number): [Uint32Array, Uint32Array, Uint32Array] {
  if (!scratch || scratch[0].length < count)
    scratch = [new Uint32Array(count), new Uint32Array(count), new Uint32Array(count)];
  return scratch;
}

export const weightedRandomStrategy: RoutingStrategy = {
  name: 'weighted-random',
  rank(candidates, context) {
    const { drawn, inverseWeights, undrawn, details } = prepare(
      candidates,
      context.routeSettings.weights,
    );
    const count = candidates.length;
    const drawnCount = drawn.length;
    // Drawn candidates first, by descending key: keys in [0, 1) quantized to 32 bits,
    // inverted so that ascending is largest first. One draw per candidate, in order.
    // Math.pow is most of a decision's cost (about half at 1,000 candidates). Two weights
    // have an exact shortcut: x ** 1 is x, and for x >= 0, x ** 0.5 is Math.sqrt(x) (pow's
    // correctly rounded special case; checked equal on 30 million draws).
    const [keys, first, second] = buffers(drawnCount);
    const quantized = keys.subarray(0, drawnCount);
    for (let position = 0; position < drawnCount; position++) {
      const inverse = inverseWeights[position]!;
      const draw = context.random();
      const key = inverse === 1 ? draw : inverse === 0.5 ? Math.sqrt(draw) : draw ** inverse;
      quantized[position] = KEY_MAX - Math.floor(key * KEY_MAX);
    }
    const order = sortIndicesByKey(quantized, [first, second]);
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
  },
};
