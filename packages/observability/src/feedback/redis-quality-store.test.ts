import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../__fixtures__/redis-server';
import { QualityScores } from './quality-scores';
import { MemoryQualityStore } from './quality-store';
import { RedisQualityStore } from './redis-quality-store';

const HOUR = 3_600_000;

describe('quality ratings shared by two replicas over one real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('both reach the same decayed means, and every rating reaches each router once', async () => {
    let time = 1_000 * HOUR;
    const now = () => time;
    const options = { halfLifeMs: HOUR, minSamples: 3, now };
    const storeA = new RedisQualityStore({ url: redis.url, key: 'test:ratings' });
    const storeB = new RedisQualityStore({ url: redis.url, key: 'test:ratings' });
    const a = new QualityScores({ ...options, store: storeA });
    const b = new QualityScores({ ...options, store: storeB });
    const routerA: [string, number][] = [];
    const routerB: [string, number][] = [];
    a.subscribe((model, score) => routerA.push([model, score]));
    b.subscribe((model, score) => routerB.push([model, score]));

    a.add('small', 1, 'code');
    time += HOUR;
    b.add('small', 0);
    a.add('small', 1);
    // B's older rating reaches A after A's newer one: it must still count as an hour old.
    await a.sync();
    await b.sync();
    await a.sync();
    // Ratings at t-1h (1), t (0), t (1): weights 0.5, 1, 1.
    const expected = (0.5 * 1 + 1 * 0 + 1 * 1) / 2.5;
    expect(a.score('small')).toBeCloseTo(expected, 12);
    expect(b.score('small')).toBeCloseTo(expected, 12);
    expect(b.score('small', 'code')).toBeUndefined(); // one rating, below minSamples
    expect(b.snapshot().find((entry) => entry.taskTag === 'code')?.samples).toBe(1);
    expect(routerA.sort()).toEqual([
      ['small', 0],
      ['small', 1],
      ['small', 1],
    ]);
    expect(routerB.sort()).toEqual(routerA);
    // Nothing twice.
    await a.sync();
    await b.sync();
    expect(routerA).toHaveLength(3);

    // A replica that starts later catches up from the log.
    const late = new QualityScores({
      ...options,
      store: new RedisQualityStore({ url: redis.url, key: 'test:ratings' }),
    });
    await late.sync();
    expect(late.score('small')).toBeCloseTo(expected, 12);
    await Promise.all([a.close(), b.close(), late.close()]);
  });

  it('keeps ratings it could not send and sends them once the store is back', async () => {
    const memory = new MemoryQualityStore();
    let failures = 1;
    // Test double: a memory store whose first append fails, as a Redis outage would.
    const flaky = {
      append: (ratings: Parameters<MemoryQualityStore['append']>[0]) =>
        failures-- > 0 ? Promise.reject(new Error('connection reset')) : memory.append(ratings),
      readSince: memory.readSince.bind(memory),
    };
    const writer = new QualityScores({ minSamples: 1, store: flaky });
    const reader = new QualityScores({ minSamples: 1, store: memory });
    writer.add('m', 1);
    await expect(writer.sync()).rejects.toThrow('connection reset');
    writer.add('m', 0);
    await writer.sync();
    await reader.sync();
    expect(reader.snapshot()).toMatchObject([{ model: 'm', samples: 2 }]);
  });

  it('names Redis and what to check when it cannot connect', async () => {
    const scores = new QualityScores({
      store: new RedisQualityStore({ url: 'redis://127.0.0.1:1' }),
    });
    scores.add('m', 1);
    await expect(scores.sync()).rejects.toThrow(
      /Could not connect to Redis at redis:\/\/127\.0\.0\.1:1 for the quality store/,
    );
  });
});
