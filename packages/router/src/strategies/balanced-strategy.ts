/**
 * balanced: a weighted sum of quality, cost, speed and load, each normalised to [0, 1]
 * among the candidates. Default weights: quality 0.4, cost 0.3, speed 0.2, load 0.1.
 */
import type { CandidateView, RoutingStrategy } from '../types';
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
  let kept: LoadFreeParts | undefined;
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
    // into typed arrays: no array per input, no object per candidate, no sort.
    select(candidates, context) {
      const partial = loadFreeParts(candidates, context.expectedOutputTokens);
      if (partial) {
        const scores = scoreBuffer(candidates.length);
        for (let index = 0; index < candidates.length; index++) {
          const load = 1 / (1 + candidates[index]!.inFlight);
          scores[index] = round((partial[index]! + w.load * load) / sum);
        }
        const best = bestByScore(scores, candidates);
        if (best >= 0) return { best };
      }
      return selectionOf(this.rank(candidates, context), candidates);
    },
  };

  /**
   * The load-free part of each candidate's sum (quality, cost and speed, the last two
   * normalised among the candidates), kept for the list last selected on. A lease changes
   * one candidate's in-flight count and nothing else, and the router changes its list in
   * place: the next selection then only adds each load term to the kept parts, bit for bit
   * what the whole sum gives (the same additions in the same order), instead of
   * normalising again. Undefined when a latency is NaN (left to `rank`).
   */
  function loadFreeParts(
    candidates: readonly CandidateView[],
    outputTokens: number,
  ): Float64Array | undefined {
    if (kept && onlyLoadMoved(kept, candidates, outputTokens)) return kept.partial;
    const count = candidates.length;
    const partial = new Float64Array(count);
    if (!latencyScoresInto(candidates, outputTokens, partial)) {
      kept = undefined;
      return undefined;
    }
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
      partial[index] = w.quality * candidate.quality + w.cost * cost + w.speed * partial[index]!;
    }
    kept = { candidates, seen: candidates.slice(), outputTokens, partial };
    return partial;
  }
}

interface LoadFreeParts {
  /** The list (changed in place by the router) and the views it held when last seen. */
  candidates: readonly CandidateView[];
  seen: CandidateView[];
  outputTokens: number;
  partial: Float64Array;
}

/** Whether only in-flight counts moved since the parts were made (the views seen catch up). */
function onlyLoadMoved(
  parts: LoadFreeParts,
  candidates: readonly CandidateView[],
  outputTokens: number,
): boolean {
  const { seen } = parts;
  if (
    parts.candidates !== candidates ||
    parts.outputTokens !== outputTokens ||
    seen.length !== candidates.length
  )
    return false;
  for (let index = 0; index < candidates.length; index++) {
    const view = candidates[index]!;
    const earlier = seen[index]!;
    if (view === earlier) continue;
    if (
      view.quality !== earlier.quality ||
      view.estimatedCostUsd !== earlier.estimatedCostUsd ||
      view.ttftMs !== earlier.ttftMs ||
      view.tokensPerSecond !== earlier.tokensPerSecond
    )
      return false;
    seen[index] = view;
  }
  return true;
}

export const balancedStrategy: RoutingStrategy = createBalancedStrategy();
