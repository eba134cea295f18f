import { createSeededRandom } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import type { CandidateView, RoutingStrategy, StrategyContext } from '../types';
import { builtinStrategies } from './builtin-strategies';

/**
 * Random candidates with many ties: few distinct qualities, costs, loads and speeds, some
 * speeds unknown, weights 0 now and then, and route orders shuffled.
 */
function randomViews(random: () => number, count: number): CandidateView[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const orders = Array.from({ length: count }, (_, index) => index).sort(() => random() - 0.5);
  return orders.map((order, index) => {
    const known = random() < 0.8;
    return {
      modelId: `model-${index}`,
      order,
      capabilities: undefined,
      contextLength: undefined,
      quality: pick([0, 0.25, 0.5, 0.5000001, 0.75, 1]),
      estimatedCostUsd: pick([0, 0.0001, 0.0002, 0.002]),
      weight: pick([0, 1, 1, 2, 0.5]),
      inFlight: pick([0, 0, 1, 2, 7]),
      loaded: true,
      circuit: 'closed',
      errorRate: 0,
      samples: known ? 3 : 0,
      ...(known ? { ttftMs: pick([50, 100, 100, 400]) } : {}),
      ...(known && random() < 0.7 ? { tokensPerSecond: pick([20, 40, 40]) } : {}),
    };
  });
}

function context(seed: number, routeSettings: StrategyContext['routeSettings'] = {}) {
  return {
    request: { prompt: 'x' },
    route: 'r',
    promptTokens: 10,
    expectedOutputTokens: 100,
    random: createSeededRandom(seed),
    now: 0,
    routeSettings,
    state: new Map<string, unknown>([['round-robin:r', seed]]),
  } satisfies StrategyContext;
}

const selecting = builtinStrategies.filter(
  (strategy): strategy is RoutingStrategy & Required<Pick<RoutingStrategy, 'select'>> =>
    strategy.select !== undefined,
);

describe('select, the fast path beside rank', () => {
  it('every built-in that scores per decision has one', () => {
    expect(selecting.map((strategy) => strategy.name).sort()).toEqual(
      [
        'balanced',
        'cost-optimized',
        'least-loaded',
        'quality-first',
        'round-robin',
        'speed-priority',
        'weighted-random',
      ].sort(),
    );
  });

  for (const strategy of selecting) {
    it(`${strategy.name}: selects what rank puts first and defers exactly rank's order`, () => {
      const random = createSeededRandom(17);
      for (let trial = 0; trial < 300; trial++) {
        const candidates = randomViews(random, 1 + Math.floor(random() * 40));
        const settings = trial % 4 === 0 ? { weights: { 'model-0': 0, 'model-1': 3 } } : {};
        const eager = context(trial, settings);
        const lazy = context(trial, settings);
        const ranked = strategy.rank(candidates, eager);
        const selection = strategy.select(candidates, lazy);
        const label = `trial ${trial}`;
        expect(candidates[selection.best]?.modelId, label).toBe(ranked[0]!.modelId);
        // The same draws and state moves as rank, and then no more.
        expect(lazy.random(), label).toBe(eager.random());
        expect(lazy.state, label).toEqual(eager.state);
        const deferred = selection.rank ? selection.rank() : strategy.rank(candidates, lazy);
        expect(deferred, label).toEqual(ranked);
        expect(lazy.random(), label).toBe(eager.random());
      }
    });
  }

  it('selects right on a list changed in place between selections, as the router changes it', () => {
    const random = createSeededRandom(23);
    const fields = ['inFlight', 'inFlight', 'inFlight', 'quality', 'ttftMs', 'estimatedCostUsd'];
    for (let trial = 0; trial < 20; trial++) {
      const candidates = randomViews(random, 5 + Math.floor(random() * 60));
      for (let step = 0; step < 60; step++) {
        // A new view object for one candidate, one field moved (mostly its load).
        const index = Math.floor(random() * candidates.length);
        const field = fields[Math.floor(random() * fields.length)]!;
        const value = field === 'inFlight' ? Math.floor(random() * 4) : random();
        candidates[index] = { ...candidates[index]!, [field]: value };
        for (const strategy of selecting) {
          const seed = trial * 100 + step;
          const selection = strategy.select(candidates, context(seed));
          expect(candidates[selection.best]?.modelId, `${strategy.name} ${trial}/${step}`).toBe(
            strategy.rank(candidates, context(seed))[0]!.modelId,
          );
        }
      }
    }
  });

  it('leaves NaN inputs to rank, whose order the sort defines', () => {
    const candidates = randomViews(createSeededRandom(5), 12);
    candidates[3] = { ...candidates[3]!, quality: Number.NaN };
    candidates[7] = { ...candidates[7]!, estimatedCostUsd: Number.NaN };
    for (const strategy of selecting) {
      const selection = strategy.select(candidates, context(1));
      expect(candidates[selection.best]?.modelId, strategy.name).toBe(
        strategy.rank(candidates, context(1))[0]!.modelId,
      );
    }
  });
});
