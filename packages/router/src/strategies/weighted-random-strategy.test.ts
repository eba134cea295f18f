import { createSeededRandom } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import type { CandidateView, RankedCandidate, StrategyContext } from '../types';
import { round } from './rank-helpers';
import { weightedRandomStrategy } from './weighted-random-strategy';

/**
 * The ranking written plainly: Efraimidis-Spirakis keys log(random) / weight (the logarithm
 * of random^(1/weight): the same order) drawn in candidate order, sorted descending by a
 * comparator (equal keys in candidate order), weight-0 candidates last in route order. The
 * strategy must match it exactly.
 */
function referenceRank(
  candidates: readonly CandidateView[],
  context: StrategyContext,
): RankedCandidate[] {
  const weights = context.routeSettings.weights;
  const count = candidates.length;
  const keyed: { index: number; key: number }[] = [];
  const undrawn: number[] = [];
  const candidateWeights: number[] = [];
  let total = 0;
  for (let index = 0; index < count; index++) {
    const candidate = candidates[index]!;
    const weight = weights?.[candidate.modelId] ?? candidate.weight;
    candidateWeights.push(weight);
    total += weight;
    if (weight > 0) {
      keyed.push({ index, key: Math.log(context.random()) * (1 / weight) });
    } else undrawn.push(index);
  }
  keyed.sort((a, b) => b.key - a.key || a.index - b.index);
  undrawn.sort((a, b) => candidates[a]!.order - candidates[b]!.order);
  return [...keyed.map((entry) => entry.index), ...undrawn].map((index, position) => ({
    modelId: candidates[index]!.modelId,
    score: (count - position) / count,
    details: {
      weight: candidateWeights[index]!,
      probability: total > 0 ? round(candidateWeights[index]! / total) : 0,
    },
  }));
}

function views(random: () => number, count: number): CandidateView[] {
  const orders = Array.from({ length: count }, (_, index) => index).sort(() => random() - 0.5);
  return orders.map((order, index) => ({
    modelId: `model-${index}`,
    order,
    capabilities: undefined,
    contextLength: undefined,
    quality: 0.5,
    estimatedCostUsd: 0,
    // A third of the weights are 0 (never drawn), the rest spread over two decades.
    weight: random() < 0.3 ? 0 : Math.round(random() * 100) / 10,
    inFlight: 0,
    loaded: true,
    circuit: 'closed',
    errorRate: 0,
    samples: 0,
  }));
}

function context(seed: number, weights?: Record<string, number>): StrategyContext {
  return {
    request: { prompt: 'x' },
    promptTokens: 10,
    expectedOutputTokens: 100,
    random: createSeededRandom(seed),
    now: 0,
    routeSettings: weights ? { weights } : {},
    state: new Map(),
  };
}

describe('weighted-random', () => {
  it('ranks exactly as the reference on random candidates, weights and seeds', () => {
    const random = createSeededRandom(3);
    for (let trial = 0; trial < 200; trial++) {
      const candidates = views(random, 1 + Math.floor(random() * 60));
      const weights =
        trial % 3 === 0 ? { 'model-0': 0, 'model-1': 2.5, 'model-2': 0.1 } : undefined;
      // A preparation is reused by the next decisions on the same candidates; half the
      // lists change a weight in place between decisions, which must be noticed.
      const list = candidates;
      for (let decision = 0; decision < 3; decision++) {
        const seed = trial * 10 + decision;
        if (trial % 2 === 1 && decision > 0)
          list[decision % list.length]!.weight = decision % 2 ? 0 : 4.5;
        expect(weightedRandomStrategy.rank(list, context(seed, weights))).toEqual(
          referenceRank(list, context(seed, weights)),
        );
      }
    }
  });

  it('prepares the same candidates again when the route weights change', () => {
    const candidates = views(createSeededRandom(5), 12);
    const first = weightedRandomStrategy.rank(candidates, context(1));
    const weighted = weightedRandomStrategy.rank(candidates, context(1, { 'model-3': 0 }));
    expect(first.find((ranked) => ranked.modelId === 'model-3')?.details.weight).toBe(
      candidates[3]!.weight,
    );
    expect(weighted.find((ranked) => ranked.modelId === 'model-3')?.details.weight).toBe(0);
    expect(weighted.at(-1)?.score).toBeGreaterThan(0);
  });
});
