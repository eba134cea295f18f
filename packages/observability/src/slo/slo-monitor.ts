/**
 * Counts request outcomes into time buckets per SLO series, computes each series' SLI,
 * error budget, latency quantiles and burn rates, and raises multi-window burn-rate alerts
 * (an alert fires when both its long and its short window burn faster than its rate, and
 * resolves when either drops below). Two bucket sizes keep memory bounded: fine buckets
 * (default 1 min) as far back as the longest alert window, coarse ones (default 1 h) over
 * the compliance window. Time comes from an injected clock, so tests drive it.
 */
import { repeatEvery } from '../repeat-every';
import type { AlertSink, SloAlert } from './alert-sinks';
import { LATENCY_FIELD_PREFIX, latencyBin, latencyQuantile } from './latency-histogram';
import {
  type BurnRateRule,
  DEFAULT_BURN_RATE_RULES,
  DEFAULT_SLO_WINDOW_MS,
  type SloDefinition,
  type SloDimension,
  validateSloDefinitions,
} from './slo-definition';
import { MemorySloStore, type SloBucketUpdate, type SloStore } from './slo-store';

export interface SloEvent {
  route: string;
  tenant?: string;
  model?: string;
  ok: boolean;
  durationMs: number;
  /** Only for streamed requests that produced a token. */
  timeToFirstTokenMs?: number;
}

export interface SloMonitorOptions {
  slos: readonly SloDefinition[];
  rules?: readonly BurnRateRule[];
  store?: SloStore;
  sinks?: readonly AlertSink[];
  /** Epoch ms; default `Date.now`. */
  now?: () => number;
  fineBucketMs?: number;
  coarseBucketMs?: number;
  /** Series per SLO beyond which new label sets count under `_other`; default 1000. */
  maxSeriesPerSlo?: number;
  /** Called when a sink throws (the monitor goes on). */
  onSinkError?: (error: unknown, alert: SloAlert) => void;
}

export interface BurnRateStatus {
  rule: string;
  severity: 'page' | 'ticket';
  threshold: number;
  longBurnRate: number;
  shortBurnRate: number;
  firing: boolean;
}

export interface SloSeriesReport {
  slo: string;
  series: string;
  labels: Record<string, string>;
  objective: SloDefinition['objective'];
  windowMs: number;
  total: number;
  bad: number;
  /** Good / total over the window; 1 with no events. */
  sli: number;
  errorBudget: { allowedBad: number; consumed: number; remaining: number };
  latencyMs: { p95: number | undefined; p99: number | undefined };
  burnRates: BurnRateStatus[];
}

const OTHER = '_other';

/**
 * `rate >= threshold`, where a rate that equals the threshold in exact arithmetic but
 * lands a rounding error below it (1 - 0.999 is not exactly 0.001) still counts.
 */
function reaches(rate: number, threshold: number): boolean {
  return rate >= threshold * (1 - 1e-9);
}

function seriesKey(slo: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  return `${slo}{${parts.join(',')}}`;
}

function parseSeriesKey(series: string): { slo: string; labels: Record<string, string> } {
  const open = series.lastIndexOf('{');
  const body = series.slice(open + 1, -1);
  const labels: Record<string, string> = {};
  for (const part of body ? body.split(',') : []) {
    const [key = '', value = ''] = part.split('=');
    labels[key] = decodeURIComponent(value);
  }
  return { slo: series.slice(0, open), labels };
}

export class SloMonitor {
  private readonly slos: readonly SloDefinition[];
  private readonly rules: readonly BurnRateRule[];
  private readonly store: SloStore;
  private readonly now: () => number;
  private readonly fineMs: number;
  private readonly coarseMs: number;
  private readonly fineRetentionMs: number;
  private readonly knownSeries = new Map<string, Set<string>>();
  private readonly firing = new Set<string>();

  /** Whether an objective is about time to first token (so requests must measure it). */
  get readsTimeToFirstToken(): boolean {
    return this.slos.some((slo) => slo.objective.kind === 'time-to-first-token');
  }

  constructor(private readonly options: SloMonitorOptions) {
    this.slos = options.slos;
    this.rules = options.rules ?? DEFAULT_BURN_RATE_RULES;
    this.fineMs = options.fineBucketMs ?? 60_000;
    this.coarseMs = options.coarseBucketMs ?? 3_600_000;
    validateSloDefinitions(this.slos, this.rules, { fineMs: this.fineMs, coarseMs: this.coarseMs });
    this.store = options.store ?? new MemorySloStore();
    this.now = options.now ?? Date.now;
    this.fineRetentionMs = Math.max(this.fineMs, ...this.rules.map((rule) => rule.longWindowMs));
  }

  private labelsFor(slo: SloDefinition, event: SloEvent): Record<string, string> | undefined {
    for (const [dimension, value] of Object.entries(slo.match ?? {})) {
      if (event[dimension as SloDimension] !== value) return undefined;
    }
    const labels: Record<string, string> = {};
    for (const dimension of slo.groupBy ?? []) labels[dimension] = event[dimension] ?? '';
    return labels;
  }

  /** The fields this event adds to a bucket of this SLO (undefined: the SLO ignores it). */
  private fieldsFor(slo: SloDefinition, event: SloEvent): Record<string, number> | undefined {
    const { objective } = slo;
    if (objective.kind === 'availability') {
      return {
        total: 1,
        bad: event.ok ? 0 : 1,
        [`${LATENCY_FIELD_PREFIX}${latencyBin(event.durationMs)}`]: 1,
      };
    }
    if (!event.ok) return undefined;
    const measured = objective.kind === 'latency' ? event.durationMs : event.timeToFirstTokenMs;
    if (measured === undefined) return undefined;
    return {
      total: 1,
      bad: measured > objective.thresholdMs ? 1 : 0,
      [`${LATENCY_FIELD_PREFIX}${latencyBin(measured)}`]: 1,
    };
  }

  private async seriesFor(slo: SloDefinition, labels: Record<string, string>): Promise<string> {
    let known = this.knownSeries.get(slo.name);
    if (!known) {
      known = new Set();
      this.knownSeries.set(slo.name, known);
    }
    let key = seriesKey(slo.name, labels);
    if (!known.has(key)) {
      if (known.size >= (this.options.maxSeriesPerSlo ?? 1000)) {
        key = seriesKey(
          slo.name,
          Object.fromEntries(Object.keys(labels).map((name) => [name, OTHER])),
        );
      }
      if (!known.has(key)) {
        known.add(key);
        await this.store.addSeries(key);
      }
    }
    return key;
  }

  async record(event: SloEvent): Promise<void> {
    const now = this.now();
    const fine = Math.floor(now / this.fineMs);
    const coarse = Math.floor(now / this.coarseMs);
    const updates: SloBucketUpdate[] = [];
    for (const slo of this.slos) {
      const labels = this.labelsFor(slo, event);
      if (!labels) continue;
      const fields = this.fieldsFor(slo, event);
      if (!fields) continue;
      const series = await this.seriesFor(slo, labels);
      updates.push({
        key: `${series}|f|${fine}`,
        fields: { total: fields.total ?? 0, bad: fields.bad ?? 0 },
        expiresAt: (fine + 1) * this.fineMs + this.fineRetentionMs,
      });
      updates.push({
        key: `${series}|c|${coarse}`,
        fields,
        expiresAt: (coarse + 1) * this.coarseMs + (slo.windowMs ?? DEFAULT_SLO_WINDOW_MS),
      });
    }
    if (updates.length > 0) await this.store.add(updates, now);
  }

  private async seriesReport(series: string, now: number): Promise<SloSeriesReport | undefined> {
    const { slo: name, labels } = parseSeriesKey(series);
    const slo = this.slos.find((candidate) => candidate.name === name);
    if (!slo) return undefined;
    const windowMs = slo.windowMs ?? DEFAULT_SLO_WINDOW_MS;
    const budgetFraction = 1 - slo.objective.target;

    const currentFine = Math.floor(now / this.fineMs);
    const fineCount = this.fineRetentionMs / this.fineMs;
    const fineKeys = Array.from(
      { length: fineCount },
      (_, back) => `${series}|f|${currentFine - back}`,
    );
    const currentCoarse = Math.floor(now / this.coarseMs);
    const coarseCount = windowMs / this.coarseMs;
    const coarseKeys = Array.from(
      { length: coarseCount },
      (_, back) => `${series}|c|${currentCoarse - back}`,
    );
    const [fineBuckets, coarseBuckets] = await Promise.all([
      this.store.read(fineKeys),
      this.store.read(coarseKeys),
    ]);

    const windowSums = (windowMs: number) => {
      let total = 0;
      let bad = 0;
      for (const bucket of fineBuckets.slice(0, windowMs / this.fineMs)) {
        total += bucket?.total ?? 0;
        bad += bucket?.bad ?? 0;
      }
      return { total, bad };
    };
    const burnRate = (windowMs: number) => {
      const { total, bad } = windowSums(windowMs);
      return total === 0 ? 0 : bad / total / budgetFraction;
    };

    const merged: Record<string, number> = {};
    for (const bucket of coarseBuckets) {
      if (!bucket) continue;
      for (const [field, count] of Object.entries(bucket))
        merged[field] = (merged[field] ?? 0) + count;
    }
    const total = merged.total ?? 0;
    const bad = merged.bad ?? 0;
    const allowedBad = total * budgetFraction;
    const consumed = allowedBad === 0 ? 0 : bad / allowedBad;

    return {
      slo: name,
      series,
      labels,
      objective: slo.objective,
      windowMs,
      total,
      bad,
      sli: total === 0 ? 1 : (total - bad) / total,
      errorBudget: { allowedBad, consumed, remaining: 1 - consumed },
      latencyMs: { p95: latencyQuantile(merged, 0.95), p99: latencyQuantile(merged, 0.99) },
      burnRates: this.rules.map((rule) => {
        const longBurnRate = burnRate(rule.longWindowMs);
        const shortBurnRate = burnRate(rule.shortWindowMs);
        return {
          rule: rule.name,
          severity: rule.severity,
          threshold: rule.burnRate,
          longBurnRate,
          shortBurnRate,
          firing: reaches(longBurnRate, rule.burnRate) && reaches(shortBurnRate, rule.burnRate),
        };
      }),
    };
  }

  /** Every series' state now, without raising alerts. */
  async report(): Promise<SloSeriesReport[]> {
    const now = this.now();
    const series = await this.store.listSeries();
    const reports = await Promise.all(series.sort().map((key) => this.seriesReport(key, now)));
    return reports.filter((report): report is SloSeriesReport => report !== undefined);
  }

  /** Computes every series' state and sends an alert for each rule that started or stopped firing. */
  async evaluate(): Promise<SloSeriesReport[]> {
    const now = this.now();
    const reports = await this.report();
    for (const report of reports) {
      for (const status of report.burnRates) {
        const key = `${report.series}|${status.rule}`;
        const was = this.firing.has(key);
        if (status.firing === was) continue;
        if (status.firing) this.firing.add(key);
        else this.firing.delete(key);
        const rule = this.rules.find((candidate) => candidate.name === status.rule);
        if (!rule) continue;
        await this.notify({
          state: status.firing ? 'firing' : 'resolved',
          rule: rule.name,
          severity: rule.severity,
          slo: report.slo,
          series: report.series,
          labels: report.labels,
          burnRateThreshold: rule.burnRate,
          longWindow: { ms: rule.longWindowMs, burnRate: status.longBurnRate },
          shortWindow: { ms: rule.shortWindowMs, burnRate: status.shortBurnRate },
          errorBudgetRemaining: report.errorBudget.remaining,
          at: now,
        });
      }
    }
    return reports;
  }

  private async notify(alert: SloAlert): Promise<void> {
    await Promise.all(
      (this.options.sinks ?? []).map(async (sink) => {
        try {
          await sink(alert);
        } catch (error) {
          this.options.onSinkError?.(error, alert);
        }
      }),
    );
  }

  /** Evaluates every `intervalMs` until the returned function is called. */
  startEvaluating(intervalMs = 30_000, onError?: (error: unknown) => void): () => void {
    return repeatEvery(
      intervalMs,
      () => this.evaluate(),
      (error) => onError?.(error),
    );
  }

  async close(): Promise<void> {
    await this.store.close?.();
  }
}
