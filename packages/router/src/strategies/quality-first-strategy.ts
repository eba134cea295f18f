/** quality-first: the best quality score wins (priors adjusted by feedback and errors); cost breaks ties. */
import type { RoutingStrategy } from '../types';
import { round } from './rank-helpers';

export const qualityFirstStrategy: RoutingStrategy = {
  name: 'quality-first',
  pure: true,
  reads: ['modelId', 'order', 'quality', 'estimatedCostUsd'],
  rank(candidates) {
    return candidates
      .map((candidate) => ({
        modelId: candidate.modelId,
        score: round(candidate.quality),
        details: {
          quality: round(candidate.quality),
          costUsd: candidate.estimatedCostUsd,
          order: candidate.order,
        },
      }))
      .sort(
        (a, b) =>
          b.score - a.score ||
          a.details.costUsd - b.details.costUsd ||
          a.details.order - b.details.order,
      );
  },
};
