import { describe, expect, it } from 'vitest';
import { PercentileWindow } from './percentile-window';

/** The definition: nearest rank over the last `capacity` samples, sorted afresh. */
function reference(samples: number[], capacity: number, p: number): number | undefined {
  const window = samples.slice(-capacity).sort((a, b) => a - b);
  if (window.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * window.length);
  return window[Math.min(window.length - 1, Math.max(0, rank - 1))];
}

describe('PercentileWindow', () => {
  it('matches sorting the last samples afresh, through the ring wrapping many times', () => {
    let state = 7;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const capacity = 10;
    const window = new PercentileWindow(capacity);
    const seen: number[] = [];
    expect(window.percentile(50)).toBeUndefined();
    for (let index = 0; index < 500; index++) {
      // Few distinct values, so duplicates are evicted and inserted often.
      const value = Math.floor(random() * 6);
      window.record(value);
      seen.push(value);
      for (const p of [0, 1, 50, 90, 99, 100])
        expect(window.percentile(p)).toBe(reference(seen, capacity, p));
      expect(window.count).toBe(Math.min(seen.length, capacity));
    }
  });

  it('ignores values that are not finite', () => {
    const window = new PercentileWindow(3);
    window.record(Number.NaN);
    window.record(Number.POSITIVE_INFINITY);
    window.record(4);
    expect(window.summary()).toEqual({ p50: 4, p90: 4, p99: 4, count: 1 });
  });
});
