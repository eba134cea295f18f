import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../__fixtures__/redis-server';
import { RedisSloStore } from './redis-slo-store';
import { SloMonitor } from './slo-monitor';

describe('RedisSloStore (real redis-server)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('lets two replicas share one budget', async () => {
    let time = 5 * 60_000;
    const now = () => time;
    const slos = [
      {
        name: 'avail',
        objective: { kind: 'availability' as const, target: 0.99 },
        groupBy: ['model' as const],
      },
    ];
    const storeA = new RedisSloStore({ url: redis.url, keyPrefix: 'test:shared:' });
    const storeB = new RedisSloStore({ url: redis.url, keyPrefix: 'test:shared:' });
    const replicaA = new SloMonitor({ slos, store: storeA, now });
    const replicaB = new SloMonitor({ slos, store: storeB, now });
    for (let index = 0; index < 50; index++) {
      await replicaA.record({ route: '/', model: 'm', ok: true, durationMs: 10 });
      await replicaB.record({ route: '/', model: 'm', ok: index >= 1, durationMs: 10 });
    }
    time += 30_000;
    const [fromA] = await replicaA.report();
    const [fromB] = await replicaB.report();
    expect(fromA).toEqual(fromB);
    expect(fromA?.total).toBe(100);
    expect(fromA?.bad).toBe(1);
    // 1 bad of the 1 allowed: the budget is spent, and the 5-minute burn rate is exactly 1x.
    expect(fromA?.errorBudget.remaining).toBeCloseTo(0, 9);
    expect(fromA?.burnRates[0]?.shortBurnRate).toBeCloseTo(1, 9);
    await replicaA.close();
    await replicaB.close();
  });

  it('expires buckets in Redis', async () => {
    const store = new RedisSloStore({ url: redis.url, keyPrefix: 'test:expiry:' });
    await store.add([{ key: 'k', fields: { total: 2, bad: 1 }, expiresAt: 1_100 }], 1_000);
    expect(await store.read(['k', 'absent'])).toEqual([{ total: 2, bad: 1 }, undefined]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await store.read(['k'])).toEqual([undefined]);
    await store.close();
  });

  it('says what is wrong when Redis cannot be reached', async () => {
    const store = new RedisSloStore({ url: 'redis://127.0.0.1:1' });
    await expect(store.listSeries()).rejects.toMatchObject({ code: 'slo-store-unavailable' });
  });
});
