/** cost-optimized: the lowest estimated cost for this request (prompt in, expected tokens out) wins; quality breaks ties. */
import type { RoutingStrategy } from '../types';
import { lowerIsBetter, round } from './rank-helpers';

export const costOptimizedStrategy: RoutingStrategy = {
  name: 'cost-optimized',
  pure: true,
  reads: ['modelId', 'order', 'quality', 'estimatedCostUsd'],
  rank(candidates) {
    const scores = lowerIsBetter(candidates.map((candidate) => candidate.estimatedCostUsd));
    return candidates
      .map((candidate, index) => ({
        modelId: candidate.modelId,
        score: round(scores[index]!),
        details: {
          costUsd: candidate.estimatedCostUsd,
          quality: round(candidate.quality),
          order: candidate.order,
        },
      }))
      .sort(
        (a, b) =>
          a.details.costUsd - b.details.costUsd ||
          b.details.quality - a.details.quality ||
          a.details.order - b.details.order,
      );
  },
};
