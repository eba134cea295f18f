import { describe, expect, it } from 'vitest';
import type { SloAlert } from './alert-sinks';
import { SloMonitor } from './slo-monitor';
import { MemorySloStore } from './slo-store';

const MINUTE = 60_000;

/** A clock the test moves by hand. */
function manualClock(start = 0) {
  let time = start;
  return { now: () => time, set: (value: number) => (time = value) };
}

describe('SloMonitor burn-rate alerts', () => {
  it('fires the fast-burn alert exactly when both windows pass 14.4x, and resolves when the short one drops', async () => {
    const clock = manualClock();
    const alerts: SloAlert[] = [];
    const monitor = new SloMonitor({
      slos: [{ name: 'chat-availability', objective: { kind: 'availability', target: 0.999 } }],
      now: clock.now,
      sinks: [(alert) => void alerts.push(alert)],
    });
    // 100 requests a minute. Minutes 0-119 clean; 120-179 fail 2 in 100 (a 20x burn);
    // 180-209 clean again.
    // Fast burn (14.4x over 1 h AND 5 min, budget 0.1%) needs an error ratio of 1.44% in
    // both windows. After k faulty minutes the 1 h window holds 2k bad of 6000:
    // 2k / 6000 >= 0.0144 first at k = 44 (43 gives 1.433%), i.e. in minute 163. The 5 min
    // window is past 1.44% from k = 4. Once clean, the 5 min window holds 2 * (5 - j) bad of
    // 500 after j clean minutes: below 1.44% first at j = 2, i.e. in minute 181.
    // Slow burn (6x over 6 h AND 30 min) needs 0.6% in both. The 6 h window holds all
    // 100 * (120 + k) requests so far: 2k / (100 * (120 + k)) >= 0.006 first at k = 52
    // (minute 171); the 30 min window is past 0.6% from k = 9. After the fault the 6 h
    // window holds 120 bad of 100 * (180 + j): exactly 0.6% at j = 20 (still firing), below
    // at j = 21 (minute 200), while the 30 min window, 2 * (30 - j) / 3000, is still at 0.6%.
    const transitions: { minute: number; state: string; rule: string }[] = [];
    for (let minute = 0; minute < 210; minute++) {
      const faulty = minute >= 120 && minute < 180;
      for (let index = 0; index < 100; index++) {
        clock.set(minute * MINUTE + index * 100);
        await monitor.record({
          route: '/v1/chat/completions',
          ok: !(faulty && index < 2),
          durationMs: 50,
        });
      }
      clock.set(minute * MINUTE + MINUTE - 1);
      const before = alerts.length;
      await monitor.evaluate();
      for (const alert of alerts.slice(before)) {
        transitions.push({ minute, state: alert.state, rule: alert.rule });
      }
    }
    expect(transitions).toEqual([
      { minute: 163, state: 'firing', rule: 'fast-burn' },
      { minute: 171, state: 'firing', rule: 'slow-burn' },
      { minute: 181, state: 'resolved', rule: 'fast-burn' },
      { minute: 200, state: 'resolved', rule: 'slow-burn' },
    ]);
    const [firing] = alerts;
    expect(firing?.severity).toBe('page');
    expect(firing?.longWindow.burnRate).toBeCloseTo(88 / 6000 / 0.001, 6);
    expect(firing?.shortWindow.burnRate).toBeCloseTo(10 / 500 / 0.001, 6);

    const [report] = await monitor.report();
    expect(report?.total).toBe(21_000);
    expect(report?.bad).toBe(120);
    expect(report?.sli).toBeCloseTo(1 - 120 / 21_000, 10);
    // 21 bad requests were allowed (0.1% of 21,000); 120 spent the budget 5.7 times over.
    expect(report?.errorBudget.allowedBad).toBeCloseTo(21, 6);
    expect(report?.errorBudget.remaining).toBeCloseTo(1 - 120 / 21, 6);
  });

  it('keeps memory bounded: old buckets are dropped as time moves on', async () => {
    const clock = manualClock();
    const store = new MemorySloStore();
    const monitor = new SloMonitor({
      slos: [
        { name: 'a', objective: { kind: 'availability', target: 0.99 }, windowMs: 24 * 3_600_000 },
      ],
      store,
      now: clock.now,
    });
    for (let minute = 0; minute < 3 * 24 * 60; minute += 1) {
      clock.set(minute * MINUTE);
      await monitor.record({ route: '/', ok: true, durationMs: 1 });
    }
    // 6 h of 1-minute buckets + 24 h of 1-hour buckets, plus the ones not yet pruned.
    expect(store.size).toBeLessThanOrEqual(360 + 24 + 4);
  });
});

describe('SloMonitor series and objectives', () => {
  it('reports per route and model with latency quantiles and a latency objective', async () => {
    const clock = manualClock(10 * MINUTE);
    const monitor = new SloMonitor({
      slos: [
        {
          name: 'latency',
          objective: { kind: 'latency', target: 0.95, thresholdMs: 500 },
          groupBy: ['route', 'model'],
        },
        {
          name: 'ttft-small',
          objective: { kind: 'time-to-first-token', target: 0.9, thresholdMs: 100 },
          match: { model: 'small' },
        },
      ],
      now: clock.now,
    });
    for (let index = 0; index < 100; index++) {
      await monitor.record({
        route: '/v1/chat/completions',
        model: 'small',
        ok: true,
        durationMs: index < 90 ? 100 : 1000,
        timeToFirstTokenMs: index < 95 ? 20 : 400,
      });
      await monitor.record({
        route: '/v1/completions',
        model: 'large',
        ok: index % 2 === 0,
        durationMs: 200,
      });
    }
    const reports = await monitor.report();
    expect(reports.map((report) => report.series)).toEqual([
      'latency{route=%2Fv1%2Fchat%2Fcompletions,model=small}',
      'latency{route=%2Fv1%2Fcompletions,model=large}',
      'ttft-small{}',
    ]);
    const [chat, completions, ttft] = reports;
    expect(chat?.labels).toEqual({ route: '/v1/chat/completions', model: 'small' });
    expect(chat?.bad).toBe(10);
    expect(chat?.sli).toBeCloseTo(0.9, 10);
    // 10% of requests took 1 s, so p95 and p99 sit in the 1 s bin (bins are 10% wide).
    expect(chat?.latencyMs.p95).toBeGreaterThanOrEqual(1000);
    expect(chat?.latencyMs.p95).toBeLessThan(1100);
    // Failed requests do not count against a latency objective.
    expect(completions?.total).toBe(50);
    expect(completions?.bad).toBe(0);
    expect(ttft?.total).toBe(100);
    expect(ttft?.bad).toBe(5);
    expect(ttft?.errorBudget.remaining).toBeCloseTo(0.5, 10);
  });

  it('folds label sets past the series limit into _other', async () => {
    const monitor = new SloMonitor({
      slos: [{ name: 'a', objective: { kind: 'availability', target: 0.9 }, groupBy: ['tenant'] }],
      maxSeriesPerSlo: 2,
    });
    for (const tenant of ['t1', 't2', 't3', 't4']) {
      await monitor.record({ route: '/', tenant, ok: true, durationMs: 1 });
    }
    const series = (await monitor.report()).map((report) => report.labels.tenant);
    expect(series).toEqual(['_other', 't1', 't2']);
  });

  it('rejects a bad configuration with the field that is wrong', () => {
    expect(
      () =>
        new SloMonitor({
          slos: [{ name: 'a', objective: { kind: 'availability', target: 99.9 } }],
        }),
    ).toThrow(/slos\[0\]\.objective\.target: must be between 0 and 1/);
    expect(
      () =>
        new SloMonitor({
          slos: [{ name: 'a', objective: { kind: 'availability', target: 0.9 } }],
          rules: [
            {
              name: 'x',
              burnRate: 2,
              longWindowMs: 60_000,
              shortWindowMs: 90_000,
              severity: 'page',
            },
          ],
        }),
    ).toThrow(/rules\[0\]\.shortWindowMs: must be a positive whole multiple of 60000/);
    expect(
      () =>
        new SloMonitor({
          slos: [{ name: 'a', objective: { kind: 'latency', target: 0.9 } as never }],
        }),
    ).toThrow(/thresholdMs/);
  });
});
