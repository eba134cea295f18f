/**
 * balanced: a weighted sum of quality, cost, speed and load, each normalised to [0, 1]
 * among the candidates. Default weights: quality 0.4, cost 0.3, speed 0.2, load 0.1.
 */
import type { RoutingStrategy } from '../types';
import { estimatedLatencyMs, lowerIsBetter, round, sortRanked } from './rank-helpers';

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
  };
}

export const balancedStrategy: RoutingStrategy = createBalancedStrategy();
