/**
 * weighted-random: draws the order without replacement, each pick in proportion to its
 * weight (the route's `weights`, else the model's `weight`, default 1), by
 * Efraimidis-Spirakis keys (random^(1/weight), largest first): one draw per candidate,
 * O(n log n). Seed the router for a replayable sequence.
 */
import type { RoutingStrategy } from '../types';
import { round } from './rank-helpers';

export const weightedRandomStrategy: RoutingStrategy = {
  name: 'weighted-random',
  rank(candidates, context) {
    const weights = context.routeSettings.weights;
    let total = 0;
    const keyed = candidates.map((candidate) => {
      const weight = weights?.[candidate.modelId] ?? candidate.weight;
      total += weight;
      // Weight 0 never wins a draw: it goes last, in route order.
      const key =
        weight > 0
          ? context.random() ** (1 / weight)
          : -1 - candidate.order / (candidates.length + 1);
      return { candidate, weight, key };
    });
    keyed.sort((a, b) => b.key - a.key);
    const count = keyed.length;
    return keyed.map(({ candidate, weight }, index) => ({
      modelId: candidate.modelId,
      score: (count - index) / count,
      details: { weight, probability: total > 0 ? round(weight / total) : 0 },
    }));
  },
};
