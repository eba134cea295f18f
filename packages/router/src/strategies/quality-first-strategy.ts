/** quality-first: the best quality score wins (priors adjusted by feedback and errors); cost breaks ties. */
import type { CandidateView, RoutingStrategy } from '../types';
import { bestByComparator, hasNaN, round, selectionOf } from './rank-helpers';

/** Best first: higher (rounded) quality, then lower cost, then route order. */
const compare = (a: CandidateView, b: CandidateView) =>
  round(b.quality) - round(a.quality) ||
  a.estimatedCostUsd - b.estimatedCostUsd ||
  a.order - b.order;

export const qualityFirstStrategy: RoutingStrategy = {
  name: 'quality-first',
  pure: true,
  reads: ['modelId', 'order', 'quality', 'estimatedCostUsd'],
  rank(candidates) {
    return [...candidates].sort(compare).map((candidate) => ({
      modelId: candidate.modelId,
      score: round(candidate.quality),
      details: {
        quality: round(candidate.quality),
        costUsd: candidate.estimatedCostUsd,
        order: candidate.order,
      },
    }));
  },
  // An outcome moves a quality: the winner in one pass, the sorted rest only on demand.
  // (A NaN makes the comparator inconsistent: only the sort itself says what comes first.)
  select(candidates, context) {
    if (hasNaN(candidates)) return selectionOf(this.rank(candidates, context), candidates);
    return {
      best: bestByComparator(candidates.length, (a, b) => compare(candidates[a]!, candidates[b]!)),
    };
  },
};
