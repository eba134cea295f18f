import { InvalidArgumentError } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { readAll } from '../__fixtures__/test-models';
import { builtinStrategyNames } from '../config/router-config-schema';
import type { RouterEvent } from '../events';
import { createRouter } from '../router';
import { builtinStrategies } from '../strategies/builtin-strategies';
import type { CandidateView, RankedCandidate, RoutingStrategy } from '../types';

/** The built-ins with `rank` alone: every decision ranks every candidate at once. */
const eagerStrategies: RoutingStrategy[] = builtinStrategies.map(
  ({ select: _select, ...strategy }) => strategy,
);

/** Twelve models that always fail, so a request falls back through its whole order. */
function failingRouter(eager: boolean) {
  const events: RouterEvent[] = [];
  const router = createRouter({
    seed: 3,
    models: Array.from({ length: 12 }, (_, index) => ({
      id: `model-${index}`,
      model: createMockModel({ mode: 'random', failFirstCalls: 1_000_000 }),
      pricing: { input: (index % 4) + 0.1, output: (index % 3) + 0.2 },
      quality: (index % 5) / 5,
      speed: { ttftMs: 50 + (index % 3) * 20, tokensPerSecond: 20 + (index % 4) * 10 },
      weight: (index % 3) + 1,
    })),
    routes: Object.fromEntries(builtinStrategyNames.map((strategy) => [strategy, { strategy }])),
    retry: { maxRetries: 0 },
    circuitBreaker: { failureThreshold: 1_000 },
    ...(eager ? { strategies: eagerStrategies } : {}),
    onEvent: (event) => events.push(event),
  });
  return { router, events };
}

/** A custom strategy with both paths, counting full rankings. */
function countingStrategy(pure: boolean) {
  const calls = { rank: 0 };
  const rank = (candidates: readonly CandidateView[]): RankedCandidate[] => {
    calls.rank++;
    return [...candidates]
      .sort((a, b) => b.quality - a.quality || a.order - b.order)
      .map((candidate) => ({ modelId: candidate.modelId, score: candidate.quality, details: {} }));
  };
  const strategy: RoutingStrategy = {
    name: 'counting',
    pure,
    rank,
    select(candidates) {
      let best = 0;
      for (let index = 1; index < candidates.length; index++)
        if (candidates[index]!.quality > candidates[best]!.quality) best = index;
      return pure ? { best } : { best, rank: () => rank(candidates) };
    },
  };
  return { strategy, calls };
}

const models = [
  { id: 'low', model: createMockModel({ mode: 'echo' }), quality: 0.2 },
  { id: 'high', model: createMockModel({ mode: 'echo' }), quality: 0.9 },
  { id: 'mid', model: createMockModel({ mode: 'echo' }), quality: 0.5 },
];

describe('head-first ranking', () => {
  it('a fallback walks the whole order, the same order ranking at once gives', async () => {
    for (const strategy of builtinStrategyNames) {
      const lazy = failingRouter(false);
      const eager = failingRouter(true);
      for (let request = 0; request < 3; request++) {
        const tried = await Promise.all(
          [lazy, eager].map(({ router }) =>
            router.generate({ model: strategy, prompt: `request ${request}` }).then(
              () => [] as string[],
              (error: { attempts: { modelId: string }[] }) =>
                error.attempts.map((attempt) => attempt.modelId),
            ),
          ),
        );
        expect(tried[0], `${strategy} #${request}`).toHaveLength(12);
        expect(new Set(tried[0]).size, `${strategy} #${request}`).toBe(12);
        expect(tried[0], `${strategy} #${request}`).toEqual(tried[1]);
      }
      const fallbacks = ({ events }: { events: RouterEvent[] }) =>
        events.flatMap((event) => (event.type === 'fallback' ? [[event.from, event.to]] : []));
      expect(fallbacks(lazy), strategy).toEqual(fallbacks(eager));
    }
  });

  it('ranks the rest only when something reads it', async () => {
    for (const pure of [true, false]) {
      const { strategy, calls } = countingStrategy(pure);
      let read: RankedCandidate[] | undefined;
      const quiet = createRouter({ models, strategies: [strategy], strategy: 'counting' });
      quiet.subscribe(() => {}); // A listener that never reads the candidates.
      const result = await quiet.generate({ prompt: 'hi' });
      expect(result.routing.attempts.map((attempt) => attempt.modelId)).toEqual(['high']);
      expect(calls.rank).toBe(0);
      // Read when asked: best first, the same array every time.
      expect(result.routing.candidates.map((candidate) => candidate.modelId)).toEqual([
        'high',
        'mid',
        'low',
      ]);
      expect(result.routing.candidates).toBe(result.routing.candidates);
      expect(calls.rank).toBe(1);
      // A route listener that reads them gets them; so do a dry route() and JSON.
      const reading = createRouter({ models, strategies: [strategy], strategy: 'counting' });
      reading.subscribe((event) => {
        if (event.type === 'route') read = event.candidates;
      });
      const streamed = await reading.stream({ prompt: 'hi' });
      await readAll(streamed.stream);
      expect(read?.map((candidate) => candidate.modelId)).toEqual(['high', 'mid', 'low']);
      const routing = quiet.route({ prompt: 'hi' });
      const before = calls.rank;
      expect(JSON.parse(JSON.stringify(routing)).candidates).toHaveLength(3);
      expect(calls.rank).toBe(before + 1);
    }
  });

  it("keeps a stream's routing copies lazy and consistent", async () => {
    const { strategy, calls } = countingStrategy(false);
    const router = createRouter({ models, strategies: [strategy], strategy: 'counting' });
    const streamed = await router.stream({ prompt: 'hi' });
    await readAll(streamed.stream);
    const done = await streamed.done;
    expect(calls.rank).toBe(0);
    expect(done.modelId).toBe('high');
    expect(done.candidates.map((candidate) => candidate.modelId)).toEqual(['high', 'mid', 'low']);
    expect(streamed.routing.candidates).toEqual(done.candidates);
    expect(calls.rank).toBe(1);
    // A copy's candidates can be replaced without touching the original's.
    streamed.routing.candidates = [];
    expect(done.candidates).toHaveLength(3);
  });

  it('refuses a select that breaks the contract, saying what it must return', () => {
    const base = { name: 'broken', rank: () => [] };
    const outOfRange = createRouter({
      models,
      strategies: [{ ...base, pure: true, select: () => ({ best: 7 }) }],
    });
    expect(() => outOfRange.route({ prompt: 'hi', strategy: 'broken' })).toThrow(
      /returned 7 from select\(\); it must return \{ best \} with the index \(0 to 2\)/,
    );
    const noRank = createRouter({ models, strategies: [{ ...base, select: () => ({ best: 0 }) }] });
    let caught: unknown;
    try {
      noRank.route({ prompt: 'hi', strategy: 'broken' });
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toMatch(
      /is not pure, so its select\(\) must also return rank/,
    );
  });

  it("puts the selected model first even when a strategy's rank disagrees", () => {
    const router = createRouter({
      models,
      strategies: [
        {
          name: 'inconsistent',
          pure: true,
          rank: (candidates) =>
            candidates.map((candidate) => ({ modelId: candidate.modelId, score: 1, details: {} })),
          select: () => ({ best: 2 }),
        },
      ],
    });
    const routing = router.route({ prompt: 'hi', strategy: 'inconsistent' });
    expect(routing.candidates.map((candidate) => candidate.modelId)).toEqual([
      'mid',
      'low',
      'high',
    ]);
  });
});
