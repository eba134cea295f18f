import { describe, expect, it } from 'vitest';
import {
  addSample,
  emptyMoments,
  normalCdf,
  normalQuantile,
  rateInterval,
  studentTCdf,
  studentTQuantile,
  twoProportionZTest,
  welchTTest,
} from './statistics';

function momentsOf(values: number[]) {
  const moments = emptyMoments();
  for (const value of values) addSample(moments, value);
  return moments;
}

describe('distributions (against published table values)', () => {
  it('normal', () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.575829, 5);
  });

  it("Student's t", () => {
    // t tables: t(0.975; 10) = 2.228139, t(0.995; 4) = 4.604095, t(0.95; 30) = 1.697261.
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 5);
    expect(studentTQuantile(0.995, 4)).toBeCloseTo(4.604095, 5);
    expect(studentTQuantile(0.95, 30)).toBeCloseTo(1.697261, 5);
    expect(studentTCdf(2.228139, 10)).toBeCloseTo(0.975, 6);
    expect(studentTCdf(-1.697261, 30)).toBeCloseTo(0.05, 6);
  });
});

describe('tests', () => {
  it("Welch's t matches a worked example", () => {
    // Reference: scipy.stats.ttest_ind(b, a, equal_var=False) gives t = 4.081992,
    // df = 7.938007, p = 0.0035829 for these numbers.
    const a = momentsOf([19.1, 20.2, 21.0, 19.8, 20.5, 20.1]);
    const b = momentsOf([22.0, 25.1, 21.9, 23.6, 20.4, 24.8, 22.7]);
    const result = welchTTest(a, b, 0.05);
    expect(result?.difference).toBeCloseTo(22.92857 - 20.11667, 4);
    expect(result?.statistic).toBeCloseTo(4.081992, 5);
    expect(result?.degreesOfFreedom).toBeCloseTo(7.938007, 5);
    expect(result?.pValue).toBeCloseTo(0.0035829, 6);
    expect(result?.interval[0]).toBeGreaterThan(0);
  });

  it('two-proportion z', () => {
    // 60/1000 vs 90/1000: pooled p = 0.075, z = 0.03 / sqrt(0.075 * 0.925 * 0.002) = 2.546858,
    // two-sided p = erfc(z / sqrt 2) = 0.0108698.
    const result = twoProportionZTest(
      { successes: 60, trials: 1000 },
      { successes: 90, trials: 1000 },
      0.05,
    );
    expect(result?.statistic).toBeCloseTo(2.546858, 5);
    expect(result?.pValue).toBeCloseTo(0.0108698, 6);
  });

  it('Wilson interval', () => {
    // 0 of 10: the interval is [0, 0.2775] at 95%.
    const { interval } = rateInterval(0, 10, 0.05);
    expect(interval[0]).toBeCloseTo(0, 9);
    expect(interval[1]).toBeCloseTo(0.2775, 3);
  });
});
