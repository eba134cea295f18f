import { createSeededRandom } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { applyVariant } from './apply-variant';
import type { ExperimentDefinition } from './experiment-definition';
import { ExperimentManager } from './experiment-manager';

/** Seeded normal samples (Box-Muller over the core PRNG). */
function normalSampler(seed: number) {
  const random = createSeededRandom(seed);
  return (mean: number, deviation: number) =>
    mean + deviation * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const twoArms = (id: string, extra: Partial<ExperimentDefinition> = {}): ExperimentDefinition => ({
  id,
  variants: [
    { name: 'control', model: 'small' },
    { name: 'treatment', model: 'large' },
  ],
  ...extra,
});

/** Feeds `perArm` requests to each arm with the given true latency means and error rates. */
function feed(
  manager: ExperimentManager,
  id: string,
  seed: number,
  perArm: number,
  truth: { control: [number, number]; treatment: [number, number] },
) {
  const sample = normalSampler(seed);
  const random = createSeededRandom(seed ^ 0x5bd1e995);
  for (let index = 0; index < perArm; index++) {
    for (const arm of ['control', 'treatment'] as const) {
      const [latency, errorRate] = truth[arm];
      manager.recordOutcome(id, arm, {
        error: random() < errorRate,
        latencyMs: sample(latency, 20),
      });
    }
  }
}

describe('assignment', () => {
  it('is sticky and the same on every replica, and follows the split', () => {
    const definition = twoArms('split', {
      variants: [
        { name: 'control', weight: 9 },
        { name: 'treatment', weight: 1 },
      ],
    });
    const replicaA = new ExperimentManager({ experiments: [definition] });
    const replicaB = new ExperimentManager({ experiments: [definition] });
    let treated = 0;
    for (let user = 0; user < 20_000; user++) {
      const a = replicaA.assign('split', `user-${user}`)?.name;
      expect(replicaB.assign('split', `user-${user}`)?.name).toBe(a);
      expect(replicaA.assign('split', `user-${user}`)?.name).toBe(a);
      if (a === 'treatment') treated++;
    }
    // 10% expected; the binomial standard deviation over 20,000 is 0.21%.
    expect(treated / 20_000).toBeGreaterThan(0.1 - 0.0065);
    expect(treated / 20_000).toBeLessThan(0.1 + 0.0065);
  });

  it('assigns only while running, by the configured key and route', () => {
    const manager = new ExperimentManager();
    manager.create(twoArms('scoped', { assignBy: 'session', route: '/v1/chat/completions' }));
    expect(manager.assignAll({ session: 's1' }, '/v1/chat/completions')).toEqual([]);
    manager.start('scoped');
    expect(manager.assignAll({ user: 'u1' }, '/v1/chat/completions')).toEqual([]);
    expect(manager.assignAll({ session: 's1' }, '/v1/embeddings')).toEqual([]);
    expect(manager.assignAll({ session: 's1' }, '/v1/chat/completions')).toHaveLength(1);
    manager.stop('scoped');
    expect(manager.assign('scoped', 's1')).toBeUndefined();
  });
});

describe('analysis with seeded traffic of known effect', () => {
  it('detects a real latency and error-rate difference', () => {
    const manager = new ExperimentManager({ experiments: [twoArms('real', { plannedLooks: 3 })] });
    feed(manager, 'real', 7, 400, { control: [100, 0.05], treatment: [110, 0.12] });
    const report = manager.analyze('real');
    const [control, treatment] = report.variants;
    expect(control?.metrics.latencyMs.mean).toBeCloseTo(100, -1);
    expect(control?.metrics.latencyMs.interval[0]).toBeLessThan(control!.metrics.latencyMs.mean);
    expect(treatment?.comparisons?.latencyMs).toMatchObject({ significant: true, test: 'welch-t' });
    expect(treatment?.comparisons?.latencyMs?.interval[0]).toBeGreaterThan(0);
    expect(treatment?.comparisons?.errorRate).toMatchObject({
      significant: true,
      test: 'two-proportion-z',
    });
    expect(report.comparisonAlpha).toBeCloseTo(0.05 / 3, 12);
    expect(report.correction).toMatch(/Bonferroni over 3 planned look/);
  });

  it('an A/A test flags a difference in no more than alpha of seeds', () => {
    const seeds = 300;
    let latencyFlags = 0;
    let errorFlags = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const manager = new ExperimentManager({ experiments: [twoArms('aa')] });
      feed(manager, 'aa', seed, 200, { control: [100, 0.1], treatment: [100, 0.1] });
      const treatment = manager.analyze('aa').variants[1];
      if (treatment?.comparisons?.latencyMs?.significant) latencyFlags++;
      if (treatment?.comparisons?.errorRate?.significant) errorFlags++;
    }
    // alpha = 0.05 plus three binomial standard deviations over 300 seeds (0.0126 each).
    expect(latencyFlags / seeds).toBeLessThanOrEqual(0.05 + 3 * 0.0126);
    expect(errorFlags / seeds).toBeLessThanOrEqual(0.05 + 3 * 0.0126);
    // And the test is not vacuous: some seeds do cross alpha by chance.
    expect(latencyFlags).toBeGreaterThan(0);
  });

  it('the peeking correction holds the family-wise rate over the planned looks', () => {
    const seeds = 200;
    let anyLookFlagged = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const manager = new ExperimentManager({
        experiments: [twoArms('peek', { plannedLooks: 5 })],
      });
      let flagged = false;
      for (let look = 0; look < 5; look++) {
        feed(manager, 'peek', seed * 31 + look, 60, { control: [100, 0.1], treatment: [100, 0.1] });
        if (manager.analyze('peek').variants[1]?.comparisons?.latencyMs?.significant)
          flagged = true;
      }
      if (flagged) anyLookFlagged++;
    }
    // Five uncorrected looks at 0.05 would flag about 14% of A/A runs; Bonferroni keeps it
    // under 5% (plus three standard deviations over 200 seeds).
    expect(anyLookFlagged / seeds).toBeLessThanOrEqual(0.05 + 3 * 0.0154);
    const manager = new ExperimentManager({ experiments: [twoArms('over', { plannedLooks: 1 })] });
    manager.analyze('over');
    expect(manager.analyze('over').warnings[0]).toMatch(/2 times but 1 looks were planned/);
  });
});

describe('guardrails, promotion, parameters', () => {
  it('stops an experiment whose variant breaks a guardrail', () => {
    const stops: [string, string][] = [];
    const manager = new ExperimentManager({
      experiments: [twoArms('guarded', { guardrails: { maxErrorRate: 0.2, minSamples: 50 } })],
      onStop: (id, reason) => stops.push([id, reason]),
    });
    feed(manager, 'guarded', 3, 200, { control: [100, 0.02], treatment: [100, 0.5] });
    expect(manager.report('guarded').status).toBe('stopped');
    expect(stops).toHaveLength(1);
    expect(stops[0]?.[1]).toMatch(/guardrail: variant "treatment" error rate 0\.\d+ is above 0.2/);
    // It stopped at the first check past 50 samples, and counts nothing after.
    expect(manager.report('guarded').variants[1]?.requests).toBe(50);
    expect(manager.assign('guarded', 'anyone')).toBeUndefined();
  });

  it('a promoted variant serves everyone', () => {
    const manager = new ExperimentManager({ experiments: [twoArms('promo')] });
    expect(manager.promote('promo', 'treatment').model).toBe('large');
    expect(manager.assign('promo', 'u1')?.name).toBe('treatment');
    expect(manager.assign('promo', 'u2')?.name).toBe('treatment');
    expect(() => manager.promote('promo', 'nope')).toThrow(/has no variant "nope"/);
  });

  it('applies parameter variants to a call', () => {
    const options = applyVariant(
      {
        messages: [
          { role: 'system', content: 'old' },
          { role: 'user', content: 'hi' },
        ],
        temperature: 1,
      },
      { name: 'v', parameters: { temperature: 0.2, systemPrompt: 'Be brief.' } },
    );
    expect(options.temperature).toBe(0.2);
    expect(options.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('rejects bad definitions with the field that is wrong', () => {
    const manager = new ExperimentManager();
    expect(() => manager.create({ id: 'x', variants: [{ name: 'only' }] })).toThrow(
      /variants: needs at least two/,
    );
    expect(() =>
      manager.create({
        id: 'x',
        variants: [{ name: 'a' }, { name: 'b', parameters: { temperature: 9 } }],
      }),
    ).toThrow(/variants\[1\]\.parameters\.temperature/);
    expect(() => manager.report('missing')).toThrow(/No experiment "missing"/);
  });
});
