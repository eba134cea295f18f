/**
 * weighted-random: draws the order without replacement, each pick in proportion to its
 * weight (the route's `weights`, else the model's `weight`, default 1), by
 * Efraimidis-Spirakis keys (random^(1/weight), largest first): one draw per candidate,
 * O(n log n). Seed the router for a replayable sequence.
 *
 * The keys are radix-sorted as 32-bit integers (no per-candidate object, no comparator):
 * the comparator sort of keyed objects was most of a decision's cost at 100+ candidates.
 */
import type { RankedCandidate, RoutingStrategy } from '../types';
import { round, sortIndicesByKey } from './rank-helpers';

/** Keys are compared at 32-bit resolution (ties within 2^-32 keep route order). */
const KEY_MAX = 2 ** 32 - 1;

export const weightedRandomStrategy: RoutingStrategy = {
  name: 'weighted-random',
  rank(candidates, context) {
    const weights = context.routeSettings.weights;
    const count = candidates.length;
    const candidateWeights = new Float64Array(count);
    // Drawn candidates first (descending key); weight 0 never wins a draw: those go last,
    // in route order.
    const keys = new Float64Array(count);
    const drawnIndices: number[] = [];
    const undrawn: number[] = [];
    let total = 0;
    for (let index = 0; index < count; index++) {
      const candidate = candidates[index]!;
      const weight = weights?.[candidate.modelId] ?? candidate.weight;
      candidateWeights[index] = weight;
      total += weight;
      if (weight > 0) {
        keys[index] = context.random() ** (1 / weight);
        drawnIndices.push(index);
      } else undrawn.push(index);
    }
    const drawnCount = drawnIndices.length;
    const order = sortByKeyDescending(drawnIndices, keys);
    if (undrawn.length > 1) undrawn.sort((a, b) => candidates[a]!.order - candidates[b]!.order);
    const ranked: RankedCandidate[] = new Array(count);
    const rank = (index: number, position: number) => {
      const weight = candidateWeights[index]!;
      ranked[position] = {
        modelId: candidates[index]!.modelId,
        score: (count - position) / count,
        details: { weight, probability: total > 0 ? round(weight / total) : 0 },
      };
    };
    for (let position = 0; position < drawnCount; position++) rank(order[position]!, position);
    for (let offset = 0; offset < undrawn.length; offset++)
      rank(undrawn[offset]!, drawnCount + offset);
    return ranked;
  },
};

/** The indices by descending key, ties in index order (a stable sort's result). */
function sortByKeyDescending(indices: number[], keys: Float64Array): ArrayLike<number> {
  // Keys in [0, 1) quantized to 32 bits, inverted so that ascending is largest first.
  const quantized = new Uint32Array(indices.length);
  for (let position = 0; position < indices.length; position++)
    quantized[position] = KEY_MAX - Math.floor(keys[indices[position]!]! * KEY_MAX);
  const order = sortIndicesByKey(quantized);
  const sorted = new Uint32Array(order.length);
  for (let position = 0; position < order.length; position++)
    sorted[position] = indices[order[position]!]!;
  return sorted;
}
