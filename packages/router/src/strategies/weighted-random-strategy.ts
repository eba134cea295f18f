/**
 * weighted-random: draws the order without replacement, each pick in proportion to its
 * weight (the route's `weights`, else the model's `weight`, default 1). Seed the router
 * for a replayable sequence.
 */
import type { RankedCandidate, RoutingStrategy } from '../types';
import { round } from './rank-helpers';

export const weightedRandomStrategy: RoutingStrategy = {
  name: 'weighted-random',
  rank(candidates, context) {
    const pool = candidates.map((candidate) => ({
      candidate,
      weight: context.routeSettings.weights?.[candidate.modelId] ?? candidate.weight,
    }));
    const total = pool.reduce((sum, item) => sum + item.weight, 0);
    const ranked: RankedCandidate[] = [];
    const count = pool.length;
    while (pool.length > 0) {
      const remaining = pool.reduce((sum, item) => sum + item.weight, 0);
      let index = 0;
      if (remaining > 0) {
        let target = context.random() * remaining;
        index = pool.length - 1;
        for (const [position, item] of pool.entries()) {
          target -= item.weight;
          if (target < 0) {
            index = position;
            break;
          }
        }
      }
      const [picked] = pool.splice(index, 1);
      ranked.push({
        modelId: picked!.candidate.modelId,
        score: (count - ranked.length) / count,
        details: {
          weight: picked!.weight,
          probability: total > 0 ? round(picked!.weight / total) : 0,
        },
      });
    }
    return ranked;
  },
};
