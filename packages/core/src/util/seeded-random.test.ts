import { describe, expect, it } from 'vitest';
import { createSeededRandom, hashString } from './seeded-random';

describe('createSeededRandom', () => {
  it('replays the same sequence for the same seed and differs across seeds', () => {
    const a = createSeededRandom(7);
    const b = createSeededRandom(7);
    const c = createSeededRandom(8);
    const first = Array.from({ length: 16 }, () => a());
    expect(Array.from({ length: 16 }, () => b())).toEqual(first);
    expect(Array.from({ length: 16 }, () => c())).not.toEqual(first);
  });

  it('stays in [0, 1) and spreads over the interval', () => {
    const random = createSeededRandom(1);
    const buckets = new Array<number>(10).fill(0);
    for (let index = 0; index < 10_000; index++) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
      buckets[Math.floor(value * 10)]! += 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(850);
  });

  it('is splitmix32: the first value for seed 0 equals an independent computation', () => {
    expect(createSeededRandom(0)()).toBeCloseTo(0.5733975800685585, 12);
  });
});

describe('hashString', () => {
  it('is FNV-1a', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
  });
});
