/** least-loaded: the fewest requests in flight wins; route order breaks ties. */
import type { RoutingStrategy } from '../types';
import { bestByScore, round, scoreBuffer, selectionOf, sortRanked } from './rank-helpers';

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
  // Every lease moves a score: the winner from one pass, the sorted rest only on demand.
  select(candidates, context) {
    const scores = scoreBuffer(candidates.length);
    for (let index = 0; index < candidates.length; index++)
      scores[index] = round(1 / (1 + candidates[index]!.inFlight));
    const best = bestByScore(scores, candidates);
    return best >= 0 ? { best } : selectionOf(this.rank(candidates, context), candidates);
  },
};
