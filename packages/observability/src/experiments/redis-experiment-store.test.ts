import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../__fixtures__/redis-server';
import type { ExperimentDefinition } from './experiment-definition';
import { ExperimentManager } from './experiment-manager';
import { MemoryExperimentStore } from './experiment-store';
import { RedisExperimentStore } from './redis-experiment-store';

const definition = (
  id: string,
  extra: Partial<ExperimentDefinition> = {},
): ExperimentDefinition => ({
  id,
  variants: [
    { name: 'control', model: 'small' },
    { name: 'treatment', model: 'large' },
  ],
  ...extra,
});

/** Two replicas of one experiment over one store, each counting its own traffic. */
function replicas(
  store: () => RedisExperimentStore | MemoryExperimentStore,
  id: string,
  extra = {},
) {
  const stops: string[] = [];
  const make = (name: string) =>
    new ExperimentManager({
      experiments: [definition(id, extra)],
      store: store(),
      onStop: (_, reason) => stops.push(`${name}: ${reason}`),
    });
  return { a: make('a'), b: make('b'), stops };
}

describe('experiment state shared by two replicas over one real redis-server', () => {
  let redis: RedisServer;
  const stores: RedisExperimentStore[] = [];
  const redisStore = (prefix: string) => () => {
    const store = new RedisExperimentStore({ url: redis.url, keyPrefix: prefix });
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await redis?.stop();
  });

  it('both report the counters of both, with the same statistics', async () => {
    const { a, b } = replicas(redisStore('test:counters:'), 'shared');
    for (let index = 0; index < 40; index++) {
      a.recordOutcome('shared', 'control', { error: index % 10 === 0, latencyMs: 100 + index });
      b.recordOutcome('shared', 'treatment', { error: false, latencyMs: 200 + index });
    }
    b.recordOutcome('shared', 'control', { error: true, latencyMs: 400 });
    a.recordFeedback('shared', 'treatment', 1);
    // Before a sync each replica knows its own traffic only.
    expect(a.report('shared').variants[1]?.requests).toBe(0);
    await a.sync();
    await b.sync();
    await a.sync();
    const fromA = a.report('shared');
    const fromB = b.report('shared');
    expect(fromA.variants).toEqual(fromB.variants);
    expect(fromA.variants.map((variant) => variant.requests)).toEqual([41, 40]);
    expect(fromA.variants[0]?.metrics.errorRate.mean).toBeCloseTo(5 / 41, 12);
    expect(fromA.variants[0]?.metrics.latencyMs.mean).toBeCloseTo(
      (40 * 100 + (39 * 40) / 2 + 400) / 41,
      9,
    );
    expect(fromA.variants[1]?.metrics.feedback).toMatchObject({ count: 1, mean: 1 });
    // Each counted once: a second sync with nothing new changes nothing.
    await b.sync();
    expect(b.report('shared').variants.map((variant) => variant.requests)).toEqual([41, 40]);
  });

  it('a promotion or stop on one replica reaches the other, and looks are counted across both', async () => {
    const { a, b, stops } = replicas(redisStore('test:status:'), 'promo', { plannedLooks: 1 });
    expect(b.assign('promo', 'someone')).toBeDefined();
    a.promote('promo', 'treatment');
    await a.sync();
    expect(b.assign('promo', 'u1')?.name).not.toBeUndefined();
    await b.sync();
    expect(b.report('promo')).toMatchObject({ status: 'stopped', promoted: 'treatment' });
    expect(b.assign('promo', 'u1')?.name).toBe('treatment');
    expect(b.assign('promo', 'u2')?.name).toBe('treatment');
    expect(stops).toEqual(['a: promoted treatment', 'b: promoted treatment']);
    // A start on a replica that missed the stop does not revive it.
    const { a: c, b: d } = replicas(redisStore('test:status:'), 'promo', { plannedLooks: 1 });
    c.start('promo');
    await c.sync();
    expect(c.report('promo').status).toBe('stopped');
    // One look each: two looks against one planned, seen by both.
    c.analyze('promo');
    d.analyze('promo');
    await c.sync();
    await d.sync();
    expect(d.report('promo').looksTaken).toBe(2);
    expect(d.report('promo').warnings[0]).toMatch(/2 times but 1 looks were planned/);
  });

  it('a guardrail trips on the traffic of both replicas together', async () => {
    const { a, b, stops } = replicas(redisStore('test:guard:'), 'guarded', {
      guardrails: { maxErrorRate: 0.2, minSamples: 50 },
    });
    // 30 failing requests each: neither replica alone reaches the 50-sample minimum.
    for (let index = 0; index < 30; index++) {
      a.recordOutcome('guarded', 'treatment', { error: true });
      b.recordOutcome('guarded', 'treatment', { error: true });
    }
    expect(a.report('guarded').status).toBe('running');
    await a.sync();
    await b.sync();
    expect(b.report('guarded').status).toBe('stopped');
    await a.sync();
    expect(a.report('guarded').status).toBe('stopped');
    expect(stops).toEqual([
      'b: guardrail: variant "treatment" error rate 1.000 is above 0.2',
      'a: guardrail: variant "treatment" error rate 1.000 is above 0.2',
    ]);
  });

  it('keeps what it counted while the store cannot be reached, and sends it once it can', async () => {
    const down = new RedisExperimentStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'test:down:' });
    const manager = new ExperimentManager({ experiments: [definition('offline')], store: down });
    manager.recordOutcome('offline', 'control', { error: false, latencyMs: 5 });
    await expect(manager.sync()).rejects.toThrow(/Could not connect to Redis.*experiment store/);
    expect(manager.report('offline').variants[0]?.requests).toBe(1);
    // Test double: a memory store whose first exchange fails, as a Redis outage would.
    const memory = new MemoryExperimentStore();
    let failures = 1;
    const flaky = {
      exchange: (id: string, update: Parameters<MemoryExperimentStore['exchange']>[1]) =>
        failures-- > 0
          ? Promise.reject(new Error('connection reset'))
          : memory.exchange(id, update),
    };
    const retrying = new ExperimentManager({ experiments: [definition('offline')], store: flaky });
    retrying.recordOutcome('offline', 'control', { error: false });
    await expect(retrying.sync()).rejects.toThrow('connection reset');
    retrying.recordOutcome('offline', 'control', { error: true });
    await retrying.sync();
    await retrying.sync();
    expect(retrying.report('offline').variants[0]).toMatchObject({ requests: 2 });
    const stored = await memory.exchange('offline', {
      variants: ['control'],
      counters: {},
      looks: 0,
    });
    expect(stored.counters.control).toMatchObject({ requests: 2, errors: 1 });
  });
});
