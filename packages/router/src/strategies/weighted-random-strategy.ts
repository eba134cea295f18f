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
  /** Candidates with a positive weight, in candidate order, and 1 / their weight. */
  drawn: Uint32Array;
  inverseWeights: Float64Array;
  /** Weight 0 never wins a draw: those go last, in route order. */
  undrawn: Uint32Array;
  /** Per candidate, its explanation (shared by every decision on these candidates). */
  details: Readonly<Record<string, number>>[];
}

/**
 * Per frozen candidate list (the router passes the same frozen list while the state is
 * unchanged), so a decision only draws and sorts: no weight lookups, no explanation
 * objects. A list that is not frozen might change between calls: it is prepared afresh.
 */
const prepared = new WeakMap<readonly CandidateView[], Prepared>();

function prepare(
  candidates: readonly CandidateView[],
  weights: Record<string, number> | undefined,
): Prepared {
  const cacheable = Object.isFrozen(candidates);
  const kept = cacheable ? prepared.get(candidates) : undefined;
  if (kept && kept.weights === weights) return kept;
  const count = candidates.length;
  const candidateWeights = new Float64Array(count);
  const drawn: number[] = [];
  const undrawn: number[] = [];
  let total = 0;
  for (let index = 0; index < count; index++) {
    const candidate = candidates[index]!;
    const weight = weights?.[candidate.modelId] ?? candidate.weight;
    candidateWeights[index] = weight;
    total += weight;
    if (weight > 0) drawn.push(index);
    else undrawn.push(index);
  }
  if (undrawn.length > 1) undrawn.sort((a, b) => candidates[a]!.order - candidates[b]!.order);
  const inverseWeights = new Float64Array(drawn.length);
  for (let position = 0; position < drawn.length; position++)
    inverseWeights[position] = 1 / candidateWeights[drawn[position]!]!;
  const details = Array.from(candidateWeights, (weight) =>
    Object.freeze({ weight, probability: total > 0 ? round(weight / total) : 0 }),
  );
  const result: Prepared = {
    weights,
    drawn: Uint32Array.from(drawn),
    inverseWeights,
    undrawn: Uint32Array.from(undrawn),
    details,
  };
  if (cacheable) prepared.set(candidates, result);
  return result;
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
    const quantized = new Uint32Array(drawnCount);
    for (let position = 0; position < drawnCount; position++) {
      const inverse = inverseWeights[position]!;
      const draw = context.random();
      const key = inverse === 1 ? draw : inverse === 0.5 ? Math.sqrt(draw) : draw ** inverse;
      quantized[position] = KEY_MAX - Math.floor(key * KEY_MAX);
    }
    const order = sortIndicesByKey(quantized);
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
