import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisProcess, startRedisServer } from '../__fixtures__/redis-server';
import { createMemorySharedState } from './memory-shared-state';
import { createRedisSharedState } from './redis-shared-state';
import { createResilientSharedState } from './resilient-shared-state';
import { RATE_WINDOW_MS, type SharedState } from './shared-state';

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

async function until(predicate: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The same behaviour, in memory and on Redis. */
const drivers: [string, () => Promise<SharedState>][] = [
  ['memory', async () => createMemorySharedState()],
  [
    'redis',
    async () => {
      const state = await createRedisSharedState({
        url: redis.url,
        keyPrefix: `test:${randomUUID()}:`,
      });
      for (let attempt = 0; ; attempt++) {
        try {
          await state.ping();
          return state;
        } catch (error) {
          if (attempt > 100) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
  ],
];

describe.each(drivers)('%s shared state', (_name, create) => {
  it('counts requests and refuses the one over the limit, with the time to reset', async () => {
    const state = await create();
    const limits = { requestsPerMinute: 2 };
    const first = await state.reserve({ key: 'a', id: 'r1', tokens: 0, limits });
    expect(first).toMatchObject({ allowed: true, requestsUsed: 1 });
    expect(first.resetRequestsMs).toBeGreaterThan(RATE_WINDOW_MS - 5_000);
    expect((await state.reserve({ key: 'a', id: 'r2', tokens: 0, limits })).allowed).toBe(true);
    const refused = await state.reserve({ key: 'a', id: 'r3', tokens: 0, limits });
    expect(refused).toMatchObject({ allowed: false, exceeded: 'requests', requestsUsed: 2 });
    // Another key has its own window.
    expect((await state.reserve({ key: 'b', id: 'r4', tokens: 0, limits })).allowed).toBe(true);
    await state.close();
  });

  it('reserves tokens at admission and settles them to what was used', async () => {
    const state = await create();
    const limits = { tokensPerMinute: 100 };
    expect((await state.reserve({ key: 'k', id: 'a', tokens: 80, limits })).allowed).toBe(true);
    // 80 held: a second request needing 30 would overshoot, so it waits.
    const refused = await state.reserve({ key: 'k', id: 'b', tokens: 30, limits });
    expect(refused).toMatchObject({ allowed: false, exceeded: 'tokens', tokensUsed: 80 });
    await state.settle('k', 'a', 20);
    const admitted = await state.reserve({ key: 'k', id: 'c', tokens: 30, limits });
    expect(admitted).toMatchObject({ allowed: true, tokensUsed: 50 });
    // Settling a reservation that is gone (expired) still charges what was used.
    await state.settle('k', 'unknown', 10);
    expect((await state.reserve({ key: 'k', id: 'd', tokens: 0, limits })).tokensUsed).toBe(60);
    await state.close();
  });

  it('never overshoots under concurrency', async () => {
    const state = await create();
    const limits = { requestsPerMinute: 50, tokensPerMinute: 10_000 };
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        state.reserve({ key: 'busy', id: `r${index}`, tokens: 10, limits }),
      ),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(50);
    await state.close();
  });

  it('keeps values with an expiry', async () => {
    const state = await create();
    await state.set('sticky:user-1', 'model-a', 60_000);
    await state.set('short', 'x', 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await state.get('sticky:user-1')).toBe('model-a');
    expect(await state.getMany(['sticky:user-1', 'short', 'missing'])).toEqual([
      'model-a',
      undefined,
      undefined,
    ]);
    await state.delete('sticky:user-1');
    expect(await state.get('sticky:user-1')).toBeUndefined();
    await state.close();
  });

  it('claims a value once: concurrent claims all get the first', async () => {
    const state = await create();
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, index) => state.claim('variant:u1', `v${index}`, 60_000)),
    );
    expect(new Set(claims).size).toBe(1);
    expect(await state.get('variant:u1')).toBe(claims[0]);
    // An expired claim is free again.
    expect(await state.claim('brief', 'first', 1)).toBe('first');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await state.claim('brief', 'second', 60_000)).toBe('second');
    await state.close();
  });
});

describe('memory shared state', () => {
  it('forgets keys idle for a whole window, so one-off clients cannot grow memory', async () => {
    let now = 1_000_000;
    const state = createMemorySharedState(() => now);
    const limits = { requestsPerMinute: 1 };
    for (let index = 0; index < 1000; index++)
      await state.reserve({ key: `ip-${index}`, id: `r${index}`, tokens: 0, limits });
    // Still within the window: the first client is still limited.
    expect((await state.reserve({ key: 'ip-0', id: 'again', tokens: 0, limits })).allowed).toBe(
      false,
    );
    now += RATE_WINDOW_MS + 1;
    const decision = await state.reserve({ key: 'ip-0', id: 'later', tokens: 0, limits });
    expect(decision).toMatchObject({ allowed: true, requestsUsed: 1 });
    // The sweep dropped the other 999 windows: a fresh key starts from zero.
    expect((await state.reserve({ key: 'ip-5', id: 'x', tokens: 0, limits })).requestsUsed).toBe(1);
  });
});

describe('resilient shared state (Redis with a per-process fallback)', () => {
  it('degrades while Redis is down, keeps limiting per process, and recovers', async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const state = createResilientSharedState({
      primary: await createRedisSharedState({ url: redis.url, keyPrefix: `test:${randomUUID()}:` }),
      probeIntervalMs: 50,
      log: { warn: (message) => warnings.push(message), info: (message) => infos.push(message) },
    });
    await until(() => state.status().mode === 'redis');
    const limits = { requestsPerMinute: 1 };
    expect((await state.reserve({ key: 'k', id: '1', tokens: 0, limits })).allowed).toBe(true);

    await redis.stop();
    // The first call after the outage notices it and still answers, from memory.
    expect((await state.reserve({ key: 'k', id: '2', tokens: 0, limits })).allowed).toBe(true);
    expect(state.status()).toMatchObject({ mode: 'degraded' });
    expect(warnings.join('\n')).toMatch(/degraded mode/);
    expect((await state.reserve({ key: 'k', id: '3', tokens: 0, limits })).allowed).toBe(false);

    await redis.start();
    await until(() => state.status().mode === 'redis');
    expect(infos.join('\n')).toMatch(/Redis is back/);
    // Back on Redis (a fresh one: the restart lost its data).
    expect((await state.reserve({ key: 'k', id: '4', tokens: 0, limits })).allowed).toBe(true);
    await state.close();
  });

  it('fails closed when told to: reservations refuse while Redis is down', async () => {
    const state = createResilientSharedState({
      primary: await createRedisSharedState({ url: 'redis://127.0.0.1:1' }),
      failMode: 'closed',
      probeIntervalMs: 50,
    });
    await expect(
      state.reserve({ key: 'k', id: '1', tokens: 0, limits: { requestsPerMinute: 5 } }),
    ).rejects.toMatchObject({ code: 'shared-state-unavailable' });
    // Values still fall back (circuits, sticky assignments are hints, not limits).
    await state.set('a', 'b', 1_000);
    expect(await state.get('a')).toBe('b');
    await state.close();
  });
});
