import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createMockModel } from '@llmr/loader-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestModel, readAll, textOf } from '../__fixtures__/test-models';
import { createManualClock } from '../clock';
import { createRouter } from '../router';
import { hashKey, normalizeRequest } from './cache-manager';
import type { CacheStore } from './cache-store';
import { createMemoryCacheStore } from './memory-cache-store';
import { createRedisCacheStore } from './redis-cache-store';

describe('cache keys', () => {
  it('ignore field order, undefined fields, router-only fields and the abort signal', () => {
    const a = normalizeRequest('route:r', {
      prompt: 'x',
      temperature: 0,
      maxTokens: 5,
      requestId: '1',
      cache: true,
      timeouts: { totalMs: 5 },
    });
    const b = normalizeRequest('route:r', {
      maxTokens: 5,
      temperature: 0,
      prompt: 'x',
      seed: undefined,
      abortSignal: new AbortController().signal,
    });
    expect(a).toBe(b);
    expect(normalizeRequest('route:other', { prompt: 'x' })).not.toBe(
      normalizeRequest('route:r', { prompt: 'x' }),
    );
    expect(hashKey(a)).toMatch(/^[0-9a-f]{28}$/);
    expect(hashKey(a)).not.toBe(hashKey(`${a} `));
  });
});

describe('memory cache store', () => {
  it('expires entries after their TTL and evicts the least recently used past its bounds', async () => {
    const clock = createManualClock();
    const store = createMemoryCacheStore({ clock, maxEntries: 2 });
    await store.set('a', '1', 100);
    await store.set('b', '2', 1_000);
    expect(await store.get('a')).toBe('1'); // a is now the most recent
    await store.set('c', '3', 1_000);
    expect(await store.get('b')).toBeUndefined();
    await clock.advance(100);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('c')).toBe('3');
    const small = createMemoryCacheStore({ maxBytes: 40 });
    await small.set('k1', 'x'.repeat(9), 1_000);
    await small.set('k2', 'y'.repeat(9), 1_000);
    expect(small.size!()).toEqual({ entries: 1, bytes: 22 });
    expect(await small.get('k2')).toBe('y'.repeat(9));
  });
});

function cachingRouter(store?: CacheStore) {
  const model = createTestModel({ mode: 'script', replies: ['cached answer'] });
  const router = createRouter({
    models: [{ id: 'm', model }],
    routes: { fresh: { models: ['m'], cache: false }, r: { models: ['m'] } },
    cache: { enabled: true, ttlMs: 60_000 },
    ...(store ? { cacheStore: store } : {}),
  });
  return { model, router };
}

async function exerciseCache(store?: CacheStore) {
  const { model, router } = cachingRouter(store);
  const first = await router.generate({ model: 'r', prompt: 'q', temperature: 0 });
  expect(first.routing.cached).toBe(false);
  const second = await router.generate({ model: 'r', temperature: 0, prompt: 'q' });
  expect(second).toMatchObject({
    text: 'cached answer',
    routing: { cached: true, modelId: 'm', strategy: 'cache' },
  });
  expect(model.calls).toBe(1);
  // A stream of the same request replays the cached answer as parts.
  const { stream, routing } = await router.stream({ model: 'r', prompt: 'q', temperature: 0 });
  const parts = await readAll(stream);
  expect(routing.cached).toBe(true);
  expect(parts.map((part) => part.type)).toEqual(['stream-start', 'text-delta', 'usage', 'finish']);
  expect(textOf(parts)).toBe('cached answer');
  expect(model.calls).toBe(1);
  // Opt-outs: per request and per route.
  await router.generate({ model: 'r', prompt: 'q', temperature: 0, cache: false });
  await router.generate({ model: 'fresh', prompt: 'q', temperature: 0 });
  await router.generate({ model: 'fresh', prompt: 'q', temperature: 0 });
  expect(model.calls).toBe(4);
  // A streamed answer is cached too.
  const streamed = await router.stream({ model: 'r', prompt: 'streamed', temperature: 0 });
  await readAll(streamed.stream);
  await streamed.done;
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(
    (await router.generate({ model: 'r', prompt: 'streamed', temperature: 0 })).routing.cached,
  ).toBe(true);
  expect(model.calls).toBe(5);
  return router;
}

describe('response cache in the router', () => {
  it('serves repeated requests from memory, streams replay it, opt-outs skip it', async () => {
    const router = await exerciseCache();
    expect(router.stats().cache).toMatchObject({ store: 'memory', hits: 3, entries: 2 });
  });

  it('never caches failures, and a broken store is a miss, not an error', async () => {
    const broken: CacheStore = {
      name: 'broken',
      get: async () => {
        throw new Error('store down');
      },
      set: async () => {
        throw new Error('store down');
      },
      delete: async () => {},
      clear: async () => {},
    };
    const router = createRouter({
      models: [{ id: 'm', model: createMockModel({ mode: 'script', replies: ['ok'] }) }],
      cacheStore: broken,
    });
    expect((await router.generate({ prompt: 'x' })).text).toBe('ok');
    expect(router.stats().cache).toMatchObject({ store: 'broken', errors: 2, hits: 0 });
  });
});

describe('Redis cache store (real redis-server)', () => {
  let server: ChildProcess | undefined;
  let url = '';

  beforeAll(async () => {
    // A missing server fails the suite, never skips it: `pnpm test` provisions it.
    if (spawnSync('redis-server', ['--version']).status !== 0)
      throw new Error(
        'redis-server is not installed: the Redis cache tests start their own. Install it with `apt-get install -y redis-server` (Debian), or run `node scripts/provision.mjs` as root.',
      );
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    url = `redis://127.0.0.1:${port}`;
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
      server!.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      server!.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
  });

  afterAll(() => {
    server?.kill();
  });

  it.each(['redis', 'ioredis'] as const)(
    'stores, expires, deletes and clears only its own prefix (%s client)',
    async (library) => {
      const store = createRedisCacheStore({ url, library, keyPrefix: `test:${library}:a:` });
      const other = createRedisCacheStore({ url, library, keyPrefix: `test:${library}:b:` });
      await store.set('k', 'value', 60_000);
      await other.set('k', 'other', 60_000);
      expect(await store.get('k')).toBe('value');
      await store.set('short', 'gone soon', 20);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await store.get('short')).toBeUndefined();
      await store.delete('k');
      expect(await store.get('k')).toBeUndefined();
      await store.set('x', '1', 60_000);
      await store.clear();
      expect(await store.get('x')).toBeUndefined();
      expect(await other.get('k')).toBe('other');
      await store.close!();
      await other.close!();
    },
  );

  it('backs the router cache', async () => {
    const store = createRedisCacheStore({ url, keyPrefix: 'test:router:' });
    await exerciseCache(store);
    await store.close!();
  });

  it.each(['redis', 'ioredis'] as const)(
    'fails clearly when Redis is unreachable (%s client), and the router treats it as a miss',
    async (library) => {
      const store = createRedisCacheStore({ url: 'redis://127.0.0.1:1', library });
      const error = await store.get('k').catch((caught) => caught);
      expect(error).toMatchObject({ code: 'cache-store-unavailable' });
      const router = createRouter({
        models: [{ id: 'm', model: createMockModel({ mode: 'script', replies: ['ok'] }) }],
        cacheStore: store,
      });
      expect((await router.generate({ prompt: 'x' })).text).toBe('ok');
      // The write after the answer is fire-and-forget: wait for it to fail too.
      await vi.waitFor(
        () => expect(router.stats().cache).toMatchObject({ store: 'redis', errors: 2 }),
        { timeout: 10_000 },
      );
      await store.close!();
    },
  );

  it('reuses a client the caller manages', async () => {
    const { createClient } = await import('redis');
    const client = createClient({ url });
    await client.connect();
    const store = createRedisCacheStore({ client, keyPrefix: 'test:own:' });
    await store.set('k', 'v', 60_000);
    expect(await client.get('test:own:k')).toBe('v');
    await store.close!();
    expect(client.isOpen).toBe(true);
    await client.close();
  });
});
