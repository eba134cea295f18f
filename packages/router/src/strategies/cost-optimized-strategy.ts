/** cost-optimized: the lowest estimated cost for this request (prompt in, expected tokens out) wins; quality breaks ties. */
import type { CandidateView, RoutingStrategy } from '../types';
import { bestByComparator, hasNaN, lowerIsBetter, round, selectionOf } from './rank-helpers';

/** Best first: lower cost, then higher (rounded) quality, then route order. */
const compare = (a: CandidateView, b: CandidateView) =>
  a.estimatedCostUsd - b.estimatedCostUsd ||
  round(b.quality) - round(a.quality) ||
  a.order - b.order;

export const costOptimizedStrategy: RoutingStrategy = {
  name: 'cost-optimized',
  pure: true,
  reads: ['modelId', 'order', 'quality', 'estimatedCostUsd'],
  rank(candidates) {
    const scores = lowerIsBetter(candidates.map((candidate) => candidate.estimatedCostUsd));
    const indices = candidates.map((_, index) => index);
    indices.sort((a, b) => compare(candidates[a]!, candidates[b]!));
    return indices.map((index) => {
      const candidate = candidates[index]!;
      return {
        modelId: candidate.modelId,
        score: round(scores[index]!),
        details: {
          costUsd: candidate.estimatedCostUsd,
          quality: round(candidate.quality),
          order: candidate.order,
        },
      };
    });
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
