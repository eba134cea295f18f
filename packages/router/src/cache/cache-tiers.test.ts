import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestModel } from '../__fixtures__/test-models';
import { createManualClock } from '../clock';
import { createRouter } from '../router';
import { type RedisServer, startRedisServer } from '../testing/redis-server';
import { createDiskCacheStore } from './disk-cache-store';
import { createMemoryCacheStore } from './memory-cache-store';
import { createRedisCacheStore } from './redis-cache-store';
import { createTieredCacheStore } from './tiered-cache-store';

const directories: string[] = [];
function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'llmr-disk-cache-'));
  directories.push(directory);
  return directory;
}
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('disk cache store', () => {
  it('keeps entries across instances, expires them, and evicts the least recently used past its bound', async () => {
    const directory = temporaryDirectory();
    const clock = createManualClock();
    const store = createDiskCacheStore({ directory, clock, maxBytes: 400 });
    await store.set('a', 'x'.repeat(100), 1_000);
    await store.set('b', 'y'.repeat(100), 60_000);
    expect(await store.get('a')).toBe('x'.repeat(100));
    await store.set('c', 'z'.repeat(100), 60_000); // over 400 bytes: b, the least recent, goes
    expect(await store.get('b')).toBeUndefined();
    expect(store.size!().entries).toBe(2);
    await store.close!();
    const reopened = createDiskCacheStore({ directory, clock, maxBytes: 400 });
    expect(await reopened.opened()).toBe('loaded');
    expect(await reopened.get('c')).toBe('z'.repeat(100));
    await clock.advance(1_000);
    expect(await reopened.get('a')).toBeUndefined();
    await reopened.close!();
  });

  it('rebuilds a torn index from the entries, drops torn entries and leftover temporary files', async () => {
    const directory = temporaryDirectory();
    const store = createDiskCacheStore({ directory });
    await store.set('kept', 'value', 60_000);
    await store.set('torn', 'will be cut', 60_000);
    await store.close!();
    const entries = join(directory, 'entries');
    const files = readdirSync(entries);
    const tornFile = files.find((name) =>
      readFileSync(join(entries, name), 'utf8').includes('"torn"'),
    )!;
    // A crash mid-write: half an index, half an entry file, and a temporary file never renamed.
    writeFileSync(
      join(directory, 'index.json'),
      readFileSync(join(directory, 'index.json'), 'utf8').slice(0, 20),
    );
    writeFileSync(
      join(entries, tornFile),
      readFileSync(join(entries, tornFile), 'utf8').slice(0, 15),
    );
    writeFileSync(join(entries, 'abc.json.tmp-1-x'), '{"key":');
    const reopened = createDiskCacheStore({ directory });
    expect(await reopened.opened()).toBe('rebuilt');
    expect(await reopened.get('kept')).toBe('value');
    expect(await reopened.get('torn')).toBeUndefined();
    expect(readdirSync(entries)).toHaveLength(1);
    expect(reopened.size!()).toMatchObject({ entries: 1 });
    await reopened.close!();
  });

  it('fails clearly when its directory cannot be created', async () => {
    const file = join(temporaryDirectory(), 'a-file');
    writeFileSync(file, '');
    await expect(createDiskCacheStore({ directory: file }).get('k')).rejects.toMatchObject({
      code: 'cache-store-unavailable',
    });
  });
});

describe('tiered cache: memory, real Redis, disk', () => {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  function tiers(prefix: string, directory = temporaryDirectory()) {
    const memory = createMemoryCacheStore();
    const shared = createRedisCacheStore({ url: redis!.url, keyPrefix: prefix });
    const disk = createDiskCacheStore({ directory });
    const store = createTieredCacheStore({
      tiers: [
        { store: memory, ttlMs: 60_000, name: 'L1' },
        { store: shared, ttlMs: 600_000, name: 'L2' },
        { store: disk, name: 'L3' },
      ],
    });
    return { store, memory, shared, disk, directory };
  }

  it('writes back to the slower tiers and reads through them, counting per tier', async () => {
    const { store, memory, shared, disk } = tiers('test:tiers:a:');
    await store.set('k', 'answer', 3_600_000);
    expect(await memory.get('k')).toBeDefined();
    await store.flush();
    expect(await shared.get('k')).toBeDefined();
    expect(await disk.get('k')).toBeDefined();
    // A replica with a cold L1 and no disk of its own finds it in Redis and keeps a copy.
    const replica = tiers('test:tiers:a:');
    expect(await replica.store.get('k')).toBe('answer');
    await replica.store.flush();
    expect(await replica.memory.get('k')).toBeDefined();
    expect(await replica.store.get('k')).toBe('answer');
    const [l1, l2, l3] = replica.store.tierStats();
    expect([l1?.hits, l1?.misses, l2?.hits, l2?.misses, l3?.hits, l3?.misses]).toEqual([
      1, 1, 1, 0, 0, 0,
    ]);
    expect(l2?.meanReadMs).toBeGreaterThan(0);
    // Per-tier TTLs: Redis keeps it at most 600 s even though the write allowed an hour.
    const client = (await import('redis')).createClient({ url: redis!.url });
    await client.connect();
    const ttl = await client.pTTL('test:tiers:a:k');
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    await client.close();
    await store.close!();
    await replica.store.close!();
  });

  it('a failing tier is a miss and an error, never a failure', async () => {
    const memory = createMemoryCacheStore();
    const store = createTieredCacheStore({
      tiers: [
        { store: memory },
        { store: createRedisCacheStore({ url: 'redis://127.0.0.1:1', library: 'redis' }) },
      ],
    });
    await store.set('k', 'v', 60_000);
    await store.flush();
    await memory.clear();
    expect(await store.get('k')).toBeUndefined();
    expect(store.tierStats().map(({ name, errors, misses }) => ({ name, errors, misses }))).toEqual(
      [
        { name: 'memory', errors: 0, misses: 1 },
        { name: 'redis', errors: 2, misses: 1 },
      ],
    );
    await store.close!();
  });

  it('backs the router cache, and router stats show the tiers', async () => {
    const { store } = tiers('test:tiers:router:');
    const model = createTestModel({ mode: 'script', replies: ['tiered'] });
    const router = createRouter({ models: [{ id: 'm', model }], cacheStore: store });
    await router.generate({ prompt: 'q', temperature: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await router.generate({ prompt: 'q', temperature: 0 })).routing.cached).toBe(true);
    expect(model.calls).toBe(1);
    expect(router.stats().cache?.tiers?.map((tier) => tier.name)).toEqual(['L1', 'L2', 'L3']);
    expect(router.stats().cache?.tiers?.[0]).toMatchObject({ hits: 1, misses: 1 });
    await store.close!();
  });
});
