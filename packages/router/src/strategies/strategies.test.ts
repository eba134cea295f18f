import { createSeededRandom } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createRouter } from '../router';
import type { CandidateView, RoutingStrategy, StrategyContext } from '../types';
import { balancedStrategy, createBalancedStrategy } from './balanced-strategy';
import { costOptimizedStrategy } from './cost-optimized-strategy';
import { fallbackChainStrategy } from './fallback-chain-strategy';
import { leastLoadedStrategy } from './least-loaded-strategy';
import { qualityFirstStrategy } from './quality-first-strategy';
import { roundRobinStrategy } from './round-robin-strategy';
import { speedPriorityStrategy } from './speed-priority-strategy';
import { weightedRandomStrategy } from './weighted-random-strategy';

function view(modelId: string, order: number, fields: Partial<CandidateView> = {}): CandidateView {
  return {
    modelId,
    order,
    capabilities: undefined,
    contextLength: undefined,
    quality: 0.5,
    estimatedCostUsd: 0,
    weight: 1,
    inFlight: 0,
    loaded: true,
    circuit: 'closed',
    errorRate: 0,
    samples: 0,
    ...fields,
  };
}

function context(fields: Partial<StrategyContext> = {}): StrategyContext {
  return {
    request: { prompt: 'x' },
    promptTokens: 10,
    expectedOutputTokens: 100,
    random: createSeededRandom(1),
    now: 0,
    routeSettings: {},
    state: new Map(),
    ...fields,
  };
}

const ids = (strategy: RoutingStrategy, candidates: CandidateView[], ctx = context()) =>
  strategy.rank(candidates, ctx).map((ranked) => ranked.modelId);

const small = view('small', 0, {
  quality: 0.5,
  estimatedCostUsd: 0.0001,
  ttftMs: 50,
  tokensPerSecond: 200,
  samples: 10,
});
const large = view('large', 1, {
  quality: 0.9,
  estimatedCostUsd: 0.01,
  ttftMs: 400,
  tokensPerSecond: 40,
  samples: 10,
});
const medium = view('medium', 2, {
  quality: 0.7,
  estimatedCostUsd: 0.001,
  ttftMs: 150,
  tokensPerSecond: 100,
  samples: 10,
});

describe('strategies', () => {
  it('quality-first ranks by quality, cheaper first on ties', () => {
    expect(ids(qualityFirstStrategy, [small, large, medium])).toEqual(['large', 'medium', 'small']);
    const twin = view('twin', 3, { quality: 0.9, estimatedCostUsd: 0.005 });
    expect(ids(qualityFirstStrategy, [large, twin])).toEqual(['twin', 'large']);
  });

  it('cost-optimized ranks by estimated cost and scores in [0, 1]', () => {
    const ranked = costOptimizedStrategy.rank([large, small, medium], context());
    expect(ranked.map((candidate) => candidate.modelId)).toEqual(['small', 'medium', 'large']);
    expect(ranked[0]!.score).toBe(1);
    expect(ranked[2]!.score).toBe(0);
    expect(ranked[0]!.details).toMatchObject({ costUsd: 0.0001 });
  });

  it('speed-priority ranks by expected time from TTFT and tokens/s; unmeasured models sit in the middle', () => {
    expect(ids(speedPriorityStrategy, [large, medium, small])).toEqual([
      'small',
      'medium',
      'large',
    ]);
    const unknown = view('unknown', 3);
    const ranked = speedPriorityStrategy.rank([large, unknown, small], context());
    expect(ranked.map((candidate) => candidate.modelId)).toEqual(['small', 'unknown', 'large']);
    expect(ranked.find((candidate) => candidate.modelId === 'small')!.details).toMatchObject({
      ttftMs: 50,
      tokensPerSecond: 200,
      estimatedMs: 550,
    });
  });

  it('least-loaded ranks by requests in flight, route order on ties', () => {
    expect(
      ids(leastLoadedStrategy, [
        view('a', 0, { inFlight: 3 }),
        view('b', 1, { inFlight: 1 }),
        view('c', 2, { inFlight: 1 }),
      ]),
    ).toEqual(['b', 'c', 'a']);
  });

  it('round-robin rotates per route', () => {
    const state = new Map<string, unknown>();
    const candidates = [view('a', 0), view('b', 1), view('c', 2)];
    const firsts = Array.from(
      { length: 4 },
      () => roundRobinStrategy.rank(candidates, context({ state, route: 'r' }))[0]!.modelId,
    );
    expect(firsts).toEqual(['a', 'b', 'c', 'a']);
    expect(
      roundRobinStrategy.rank(candidates, context({ state, route: 'other' }))[0]!.modelId,
    ).toBe('a');
  });

  it('weighted-random picks in proportion to weights, replayably with a seed', () => {
    const candidates = [view('heavy', 0, { weight: 8 }), view('light', 1, { weight: 2 })];
    const draw = (seed: number) => {
      const random = createSeededRandom(seed);
      return Array.from(
        { length: 1000 },
        () => weightedRandomStrategy.rank(candidates, context({ random }))[0]!.modelId,
      );
    };
    const picks = draw(7);
    const heavy = picks.filter((id) => id === 'heavy').length;
    expect(heavy).toBeGreaterThan(740);
    expect(heavy).toBeLessThan(860);
    expect(draw(7)).toEqual(picks);
    // Route weights override model weights; weight 0 goes last.
    const routed = weightedRandomStrategy.rank(
      candidates,
      context({ routeSettings: { weights: { heavy: 0, light: 1 } } }),
    );
    expect(routed.map((candidate) => candidate.modelId)).toEqual(['light', 'heavy']);
    expect(routed[0]!.details).toMatchObject({ probability: 1 });
  });

  it('fallback follows the chain, then the rest in route order', () => {
    const candidates = [view('a', 0), view('b', 1), view('c', 2), view('d', 3)];
    expect(
      ids(fallbackChainStrategy, candidates, context({ routeSettings: { fallback: ['c', 'a'] } })),
    ).toEqual(['c', 'a', 'b', 'd']);
  });

  it('balanced weighs quality, cost, speed and load, with configurable weights', () => {
    const ranked = balancedStrategy.rank([small, large, medium], context());
    // medium: 0.4*0.7 + 0.3*0.909 + 0.2*0.745 + 0.1 = 0.802; small: 0.4*0.5 + 0.3 + 0.2 + 0.1 = 0.8.
    expect(ranked.map((candidate) => candidate.modelId)).toEqual(['medium', 'small', 'large']);
    expect(ranked[1]!.score).toBe(0.8);
    expect(Object.keys(ranked[0]!.details)).toEqual([
      'quality',
      'cost',
      'speed',
      'load',
      'costUsd',
    ]);
    const qualityOnly = createBalancedStrategy({ quality: 1, cost: 0, speed: 0, load: 0 });
    expect(ids(qualityOnly, [small, large, medium])).toEqual(['large', 'medium', 'small']);
  });
});

describe('strategies inside the router', () => {
  const models = [
    {
      id: 'cheap',
      model: createMockModel({ mode: 'script', replies: ['cheap'] }),
      pricing: { input: 0.1, output: 0.2 },
      quality: 0.4,
    },
    {
      id: 'premium',
      model: createMockModel({ mode: 'script', replies: ['premium'] }),
      pricing: { input: 5, output: 15 },
      quality: 0.95,
    },
  ];

  it('ranks with prices and priors from config, and explains the scores', () => {
    const router = createRouter({
      models,
      routes: { smart: { strategy: 'quality-first' }, thrifty: { strategy: 'cost-optimized' } },
    });
    expect(
      router
        .route({ model: 'smart', prompt: 'x' })
        .candidates.map((candidate) => candidate.modelId),
    ).toEqual(['premium', 'cheap']);
    const thrifty = router.route({ model: 'thrifty', prompt: 'hello world', maxTokens: 100 });
    // 3 prompt tokens: the estimate (~4 characters a token). The prompt is far from any
    // context limit, so no tokenizer pass is spent on it.
    expect(thrifty.promptTokens).toBe(3);
    expect(thrifty.candidates[0]).toMatchObject({
      modelId: 'cheap',
      details: { costUsd: (3 * 0.1 + 100 * 0.2) / 1e6 },
    });
  });

  it('a request may override the strategy; quality feedback moves the ranking', () => {
    const router = createRouter({ models, strategy: 'quality-first' });
    expect(router.route({ prompt: 'x', strategy: 'cost-optimized' }).strategy).toBe(
      'cost-optimized',
    );
    for (let index = 0; index < 20; index++) {
      router.recordQuality('premium', 0);
      router.recordQuality('cheap', 1);
    }
    expect(router.route({ prompt: 'x' }).candidates[0]!.modelId).toBe('cheap');
  });

  it('takes custom strategies, by config and by request', async () => {
    const reverse: RoutingStrategy = {
      name: 'reverse-alphabetical',
      rank: (candidates) =>
        [...candidates]
          .sort((a, b) => b.modelId.localeCompare(a.modelId))
          .map((candidate, index) => ({ modelId: candidate.modelId, score: -index, details: {} })),
    };
    const router = createRouter({
      models,
      strategies: [reverse],
      routes: { custom: { strategy: 'reverse-alphabetical' } },
    });
    expect((await router.generate({ model: 'custom', prompt: 'x' })).routing).toMatchObject({
      modelId: 'premium',
      strategy: 'reverse-alphabetical',
    });
    expect(() => createRouter({ models, routes: { custom: { strategy: 'nope' } } })).toThrow(
      /routes\.custom\.strategy: must be one of balanced/,
    );
  });

  it('speed-priority learns from live time-to-first-token', async () => {
    const router = createRouter({
      models: [
        {
          id: 'slow',
          model: createMockModel({ mode: 'script', replies: ['s'], latency: { firstTokenMs: 80 } }),
        },
        {
          id: 'fast',
          model: createMockModel({ mode: 'script', replies: ['f'], latency: { firstTokenMs: 1 } }),
        },
      ],
      strategy: 'speed-priority',
    });
    await router.generate({ model: 'slow', prompt: 'x' });
    await router.generate({ model: 'fast', prompt: 'x' });
    const routing = router.route({ prompt: 'x' });
    expect(routing.candidates.map((candidate) => candidate.modelId)).toEqual(['fast', 'slow']);
    expect(routing.candidates[1]!.details.ttftMs).toBeGreaterThanOrEqual(75);
  });

  it('round-robin and least-loaded spread real traffic', async () => {
    const router = createRouter({
      models: ['a', 'b', 'c'].map((id) => ({
        id,
        model: createMockModel({ mode: 'script', replies: [id] }),
      })),
      routes: { rr: { strategy: 'round-robin' }, ll: { strategy: 'least-loaded' } },
    });
    const served = [];
    for (let index = 0; index < 6; index++)
      served.push((await router.generate({ model: 'rr', prompt: 'x' })).text);
    expect(served).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    // Hold streams open so in-flight counts differ.
    const held = [
      await router.stream({ model: 'a', prompt: 'x' }),
      await router.stream({ model: 'b', prompt: 'x' }),
    ];
    expect(router.route({ model: 'll', prompt: 'x' }).candidates[0]!.modelId).toBe('c');
    for (const { stream } of held) await stream.cancel();
  });
});
