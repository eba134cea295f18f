/**
 * balanced: a weighted sum of quality, cost, speed and load, each normalised to [0, 1]
 * among the candidates. Default weights: quality 0.4, cost 0.3, speed 0.2, load 0.1.
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

export interface BalancedWeights {
  quality: number;
  cost: number;
  speed: number;
  load: number;
}

export const defaultBalancedWeights: BalancedWeights = {
  quality: 0.4,
  cost: 0.3,
  speed: 0.2,
  load: 0.1,
};

export function createBalancedStrategy(weights: Partial<BalancedWeights> = {}): RoutingStrategy {
  const w = { ...defaultBalancedWeights, ...weights };
  const sum = w.quality + w.cost + w.speed + w.load || 1;
  return {
    name: 'balanced',
    pure: true,
    reads: [
      'modelId',
      'order',
      'quality',
      'estimatedCostUsd',
      'ttftMs',
      'tokensPerSecond',
      'inFlight',
    ],
    rank(candidates, context) {
      const cost = lowerIsBetter(candidates.map((candidate) => candidate.estimatedCostUsd));
      const speed = lowerIsBetter(
        candidates.map((candidate) => estimatedLatencyMs(candidate, context.expectedOutputTokens)),
      );
      return sortRanked(
        candidates.map((candidate, index) => {
          const load = 1 / (1 + candidate.inFlight);
          const score =
            (w.quality * candidate.quality +
              w.cost * cost[index]! +
              w.speed * speed[index]! +
              w.load * load) /
            sum;
          return {
            modelId: candidate.modelId,
            score: round(score),
            details: {
              quality: round(candidate.quality),
              cost: round(cost[index]!),
              speed: round(speed[index]!),
              load: round(load),
              costUsd: candidate.estimatedCostUsd,
            },
          };
        }),
        candidates,
      );
    },
    // The same arithmetic as `rank` in the same order (so the same scores to the bit),
    // into one typed array: no array per input, no object per candidate, no sort.
    select(candidates, context) {
      const count = candidates.length;
      const scores = scoreBuffer(count);
      if (latencyScoresInto(candidates, context.expectedOutputTokens, scores)) {
        let minCost = Number.POSITIVE_INFINITY;
        let maxCost = Number.NEGATIVE_INFINITY;
        for (let index = 0; index < count; index++) {
          const cost = candidates[index]!.estimatedCostUsd;
          if (cost < minCost) minCost = cost;
          if (cost > maxCost) maxCost = cost;
        }
        const costSpan = maxCost - minCost;
        for (let index = 0; index < count; index++) {
          const candidate = candidates[index]!;
          const cost = costSpan > 0 ? 1 - (candidate.estimatedCostUsd - minCost) / costSpan : 1;
          const load = 1 / (1 + candidate.inFlight);
          scores[index] = round(
            (w.quality * candidate.quality +
              w.cost * cost +
              w.speed * scores[index]! +
              w.load * load) /
              sum,
          );
        }
        const best = bestByScore(scores, candidates);
        if (best >= 0) return { best };
      }
      return selectionOf(this.rank(candidates, context), candidates);
    },
  };
}

export const balancedStrategy: RoutingStrategy = createBalancedStrategy();
