/** least-loaded: the fewest requests in flight wins; route order breaks ties. */
import type { RoutingStrategy } from '../types';
import { round, sortRanked } from './rank-helpers';

export const leastLoadedStrategy: RoutingStrategy = {
  name: 'least-loaded',
  pure: true,
  reads: ['modelId', 'order', 'inFlight'],
  rank(candidates) {
    return sortRanked(
      candidates.map((candidate) => ({
        modelId: candidate.modelId,
        score: round(1 / (1 + candidate.inFlight)),
        details: { inFlight: candidate.inFlight },
      })),
      candidates,
    );
  },
};
