/**
 * speed-priority: the shortest expected time to the whole answer, from live medians of
 * time-to-first-token and tokens/s (config priors until samples exist). Models nobody
 * has measured yet score in the middle, so they get tried without being preferred.
 */
import type { RoutingStrategy } from '../types';
import {
  bestByScore,
  estimatedLatencyMs,
  latencyScoresInto,
  lowerIsBetter,
  round,
  scoreBuffer,
  selectionOf,
  sortRanked,
} from './rank-helpers';

export const speedPriorityStrategy: RoutingStrategy = {
  name: 'speed-priority',
  pure: true,
  reads: ['modelId', 'order', 'samples', 'ttftMs', 'tokensPerSecond'],
  rank(candidates, context) {
    const latencies = candidates.map((candidate) =>
      estimatedLatencyMs(candidate, context.expectedOutputTokens),
    );
    const scores = lowerIsBetter(latencies);
    return sortRanked(
      candidates.map((candidate, index) => {
        const details: Record<string, number> = { samples: candidate.samples };
        if (candidate.ttftMs !== undefined) details.ttftMs = round(candidate.ttftMs, 3);
        if (candidate.tokensPerSecond !== undefined)
          details.tokensPerSecond = round(candidate.tokensPerSecond, 3);
        if (latencies[index] !== undefined) details.estimatedMs = round(latencies[index]!, 3);
        return { modelId: candidate.modelId, score: round(scores[index]!), details };
      }),
      candidates,
    );
  },
  // `rank`'s arithmetic into one typed array: the winner without an object per candidate.
  select(candidates, context) {
    const scores = scoreBuffer(candidates.length);
    if (latencyScoresInto(candidates, context.expectedOutputTokens, scores)) {
      for (let index = 0; index < candidates.length; index++) scores[index] = round(scores[index]!);
      const best = bestByScore(scores, candidates);
      if (best >= 0) return { best };
    }
    return selectionOf(this.rank(candidates, context), candidates);
  },
};
