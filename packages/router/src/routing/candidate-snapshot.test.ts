import { createSeededRandom } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock';
import { builtinStrategyNames } from '../config/router-config-schema';
import { createRouter } from '../router';
import { builtinStrategies } from '../strategies/builtin-strategies';
import type { RouterRequest, RoutingStrategy } from '../types';
import { planRequest } from './plan-request';

const modelCount = 24;

/**
 * The built-ins as they were before `select`: `rank` alone, so every decision ranks every
 * candidate at once. What the head-first path must match, decision for decision.
 */
const eagerStrategies: RoutingStrategy[] = builtinStrategies.map(
  ({ select: _select, ...strategy }) => strategy,
);

function makeRouter(reuseSnapshots: boolean, eager = false) {
  const clock = createManualClock(1_000);
  const shared = createMockModel({ mode: 'random' });
  const ids = Array.from({ length: modelCount }, (_, index) => `model-${index}`);
  const router = createRouter({
    clock,
    seed: 7,
    models: ids.map((id, index) => ({
      id,
      model: shared,
      pricing: { input: (index % 7) + 0.1, output: (index % 5) + 0.2 },
      quality: (index % 10) / 10,
      speed: { ttftMs: 50 + (index % 13) * 10, tokensPerSecond: 20 + (index % 17) * 5 },
      weight: index % 6,
      ...(index % 4 === 0 ? { capabilities: ['chat' as const, 'completion' as const] } : {}),
      ...(index % 9 === 0 ? { contextLength: 64 } : {}),
    })),
    routes: {
      ...Object.fromEntries(builtinStrategyNames.map((strategy) => [strategy, { strategy }])),
      chain: { models: ids.slice(0, 10), fallback: ['model-7', 'model-3'], maxCandidates: 4 },
      weighted: {
        strategy: 'weighted-random',
        models: ids.slice(5, 15),
        weights: { 'model-5': 0, 'model-6': 3 },
      },
    },
    circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 500 },
    ...(eager ? { strategies: eagerStrategies } : {}),
  });
  // The decision's inputs live in the runtime; the test moves them as traffic would.
  const runtime = router['runtime'];
  if (!reuseSnapshots) runtime.reuseSnapshots = false;
  return { router, runtime, clock, ids };
}

/** The in-place updates the kept snapshots have had (each bumps its snapshot's version). */
function keptVersions(runtime: ReturnType<typeof makeRouter>['runtime']): number {
  let total = 0;
  for (const slots of [runtime.allSlots, ...runtime.routeSlots.values()])
    for (const snapshot of runtime.candidateSnapshots.get(slots) ?? []) total += snapshot.version;
  return total;
}

/** One decision's outcome: the ranked and excluded candidates, or the error's message. */
function decide(setup: ReturnType<typeof makeRouter>, request: RouterRequest, model: string) {
  try {
    const routing = setup.router.route({ ...request, model });
    return { candidates: routing.candidates, excluded: routing.excluded };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const requests: RouterRequest[] = [
  { prompt: 'Hello there', maxTokens: 32 },
  { messages: [{ role: 'user', content: 'What is the capital of France?' }], maxTokens: 64 },
  {
    messages: [{ role: 'user', content: 'Call the weather tool.' }],
    tools: [{ type: 'function', name: 'weather', parameters: { type: 'object' } }],
  },
  { prompt: 'A long prompt that may not fit a small context. '.repeat(12), maxTokens: 8 },
];

describe('candidate snapshots', () => {
  it('decide exactly as a fresh build does, over random state changes and requests', async () => {
    const reused = makeRouter(true);
    const fresh = makeRouter(false);
    const random = createSeededRandom(42);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const routes = [...builtinStrategyNames, 'chain', 'weighted', 'auto'];
    let compared = 0;
    let updatedInPlace = 0;
    let request = requests[0]!;
    for (let step = 0; step < 200; step++) {
      // Half the steps change nothing, so decisions in a row see the same state.
      const change = random();
      const id = pick(reused.ids);
      const value = random();
      for (const { runtime, clock } of [reused, fresh]) {
        const stats = runtime.statsFor(id);
        if (change < 0.1) stats.start(clock.now());
        else if (change < 0.2) stats.end();
        else if (change < 0.27) stats.recordOutcome(value > 0.3);
        else if (change < 0.32) stats.ttft.record(20 + value * 400);
        else if (change < 0.37) stats.tokensPerSecond.record(10 + value * 90);
        else if (change < 0.4) runtime.quality.record(id, value);
        else if (change < 0.45) runtime.breaker(id).recordFailure();
        else if (change < 0.5) await clock.advance(Math.round(value * 400));
      }
      // The same request for a while, as in a burst, then another.
      if (step % 8 === 0) request = pick(requests);
      for (const model of routes) {
        const label = `step ${step}, ${model}`;
        expect(decide(reused, request, model), label).toEqual(decide(fresh, request, model));
        compared++;
      }
      updatedInPlace += keptVersions(reused.runtime) > 0 ? 1 : 0;
    }
    expect(compared).toBe(200 * routes.length);
    // The in-place path was exercised, not only rebuilds.
    expect(updatedInPlace).toBeGreaterThan(20);
  });

  it('update in place on leases and outcomes exactly as a fresh build decides', () => {
    const reused = makeRouter(true);
    const fresh = makeRouter(false);
    const random = createSeededRandom(9);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const routes = [...builtinStrategyNames, 'chain', 'weighted', 'auto'];
    for (let step = 0; step < 200; step++) {
      // Only what a lease or a finished request moves: the in-place path's triggers.
      const id = pick(reused.ids);
      const change = random();
      const value = random();
      for (const { runtime, clock } of [reused, fresh]) {
        const stats = runtime.statsFor(id);
        if (change < 0.45) stats.start(clock.now());
        else if (change < 0.8) stats.end();
        else if (change < 0.9) stats.recordOutcome(value > 0.2);
        else if (change < 0.95) stats.ttft.record(20 + value * 400);
        else stats.tokensPerSecond.record(10 + value * 90);
      }
      const request = requests[step % requests.length]!;
      for (const model of routes) {
        const label = `step ${step}, ${model}`;
        expect(decide(reused, request, model), label).toEqual(decide(fresh, request, model));
      }
    }
    expect(keptVersions(reused.runtime)).toBeGreaterThan(100);
  });

  it('reuse a pure ranking while the state is the same and rebuild when it changes', () => {
    const { router, runtime, ids } = makeRouter(true);
    const request = { prompt: 'Hello there', maxTokens: 32, model: 'balanced' };
    const first = router.route(request).candidates;
    const second = router.route(request).candidates;
    // The same ranked objects (shared), in a new array each decision.
    expect(second).not.toBe(first);
    expect(second[0]).toBe(first[0]);
    // A request in flight on the winner changes its load score: a new ranking.
    runtime.statsFor(first[0]!.modelId).start(0);
    const third = router.route(request).candidates;
    expect(third[0]).not.toBe(first[0]);
    expect(third.find((candidate) => candidate.modelId === first[0]!.modelId)?.details.load).toBe(
      0.5,
    );
    expect(ids).toContain(third[0]!.modelId);
  });

  it('keep the rankings whose fields a lease did not move', () => {
    const { router, runtime } = makeRouter(true);
    const request = { prompt: 'Hello there', maxTokens: 32 };
    const quality = router.route({ ...request, model: 'quality-first' }).candidates;
    const loaded = router.route({ ...request, model: 'least-loaded' }).candidates;
    // quality-first does not read in-flight counts: the same ranked objects after a lease.
    runtime.statsFor(loaded[0]!.modelId).start(0);
    expect(router.route({ ...request, model: 'quality-first' }).candidates[0]).toBe(quality[0]);
    expect(router.route({ ...request, model: 'least-loaded' }).candidates[0]).not.toBe(loaded[0]);
    // An outcome moves the error rate and so the quality: ranked again.
    runtime.statsFor(quality[0]!.modelId).recordOutcome(false);
    expect(router.route({ ...request, model: 'quality-first' }).candidates[0]).not.toBe(quality[0]);
  });

  it('select the winner first and rank the rest later exactly as ranking at once does, also after the state moved on', async () => {
    const lazy = makeRouter(true);
    const eager = makeRouter(true, true);
    const random = createSeededRandom(77);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const routes = [...builtinStrategyNames, 'chain', 'weighted', 'auto'];
    // Plans whose rest is read only after the state changed and the next decisions on the
    // same snapshot updated it in place, as a fallback's would be.
    let pending: { label: string; read: () => unknown; expected: unknown }[] = [];
    let later: typeof pending = [];
    let deferred = 0;
    for (let step = 0; step < 150; step++) {
      const id = pick(lazy.ids);
      const change = random();
      const value = random();
      for (const { runtime, clock } of [lazy, eager]) {
        const stats = runtime.statsFor(id);
        if (change < 0.35) stats.start(clock.now());
        else if (change < 0.65) stats.end();
        else if (change < 0.75) stats.recordOutcome(value > 0.3);
        else if (change < 0.82) stats.ttft.record(20 + value * 400);
        else if (change < 0.87) stats.tokensPerSecond.record(10 + value * 90);
        else if (change < 0.9) runtime.quality.record(id, value);
        else if (change < 0.95) runtime.breaker(id).recordFailure();
        else await clock.advance(Math.round(value * 400));
      }
      const request = requests[Math.floor(step / 6) % 3]!;
      for (const model of routes) {
        const label = `step ${step}, ${model}`;
        let expected: ReturnType<typeof planRequest> | undefined;
        let plan: ReturnType<typeof planRequest> | undefined;
        try {
          expected = planRequest(eager.runtime, { ...request, model }, 'generate', true);
        } catch {}
        try {
          plan = planRequest(lazy.runtime, { ...request, model }, 'generate', true);
        } catch {}
        expect(plan === undefined, label).toBe(expected === undefined);
        if (!plan || !expected) continue;
        const candidates = expected.routing.candidates;
        // The winner without ranking the rest, then every candidate in the same order.
        expect(plan.order.at(0), label).toBe(candidates[0]!.modelId);
        if (step % 2 === 0) {
          expect(plan.routing.candidates, label).toEqual(candidates);
          expect(walk(plan.order), label).toEqual(candidates.map((entry) => entry.modelId));
        } else {
          deferred++;
          later.push(
            {
              label: `${label} (read later)`,
              read: () => walk(plan.order),
              expected: walk(expected.order),
            },
            {
              label: `${label} (read later)`,
              read: () => plan.routing.candidates,
              expected: candidates,
            },
          );
        }
      }
      for (const { label, read, expected } of pending) expect(read(), label).toEqual(expected);
      pending = later;
      later = [];
    }
    expect(deferred).toBeGreaterThan(500);
  });
});

/** Every model id of an order, as the fallback loop walks it. */
function walk(order: ReturnType<typeof planRequest>['order']): string[] {
  const ids: string[] = [];
  for (let position = 0, id = order.at(0); id !== undefined; id = order.at(++position))
    ids.push(id);
  return ids;
}
