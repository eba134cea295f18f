/**
 * What an SLO is (an objective over a window, for the events that match, one series per
 * group) and the burn-rate alert rules, with validation that says which field is wrong.
 */
import { ObservabilityError } from '../errors';

export type SloObjective =
  /** The share of requests that succeed. */
  | { kind: 'availability'; target: number }
  /** The share of successful requests whose total time is at most `thresholdMs` (e.g. 0.99 under 2 s: a p99 objective). */
  | { kind: 'latency'; target: number; thresholdMs: number }
  /** The share of successful streamed requests whose first token came within `thresholdMs`. */
  | { kind: 'time-to-first-token'; target: number; thresholdMs: number };

export type SloDimension = 'route' | 'tenant' | 'model';

export interface SloDefinition {
  name: string;
  objective: SloObjective;
  /** Only events with these values count. */
  match?: Partial<Record<SloDimension, string>>;
  /** One series (its own budget and alerts) per distinct value of these. Default: one series. */
  groupBy?: SloDimension[];
  /** The compliance window; default 30 days. */
  windowMs?: number;
}

export interface BurnRateRule {
  name: string;
  /** How many times faster than "exactly on budget" the errors must come. */
  burnRate: number;
  longWindowMs: number;
  shortWindowMs: number;
  severity: 'page' | 'ticket';
}

/** The Google SRE workbook's two multi-window, multi-burn-rate alerts for a 30-day window. */
export const DEFAULT_BURN_RATE_RULES: readonly BurnRateRule[] = [
  {
    name: 'fast-burn',
    burnRate: 14.4,
    longWindowMs: 60 * 60_000,
    shortWindowMs: 5 * 60_000,
    severity: 'page',
  },
  {
    name: 'slow-burn',
    burnRate: 6,
    longWindowMs: 6 * 60 * 60_000,
    shortWindowMs: 30 * 60_000,
    severity: 'ticket',
  },
];

export const DEFAULT_SLO_WINDOW_MS = 30 * 24 * 60 * 60_000;

function invalid(field: string, message: string): ObservabilityError {
  return new ObservabilityError({
    code: 'invalid-slo-config',
    message: `${field}: ${message}`,
  });
}

function positiveMultiple(field: string, value: number, of: number): void {
  if (!Number.isInteger(value) || value <= 0 || value % of !== 0) {
    throw invalid(
      field,
      `must be a positive whole multiple of ${of} ms (the bucket size), got ${value}.`,
    );
  }
}

export function validateSloDefinitions(
  slos: readonly SloDefinition[],
  rules: readonly BurnRateRule[],
  buckets: { fineMs: number; coarseMs: number },
): void {
  positiveMultiple('fineBucketMs', buckets.coarseMs, buckets.fineMs);
  const names = new Set<string>();
  slos.forEach((slo, index) => {
    const at = `slos[${index}]`;
    if (!slo.name || typeof slo.name !== 'string') throw invalid(`${at}.name`, 'is required.');
    if (names.has(slo.name))
      throw invalid(`${at}.name`, `"${slo.name}" is used twice; names must be unique.`);
    names.add(slo.name);
    const { objective } = slo;
    if (!(objective.target > 0 && objective.target < 1)) {
      throw invalid(
        `${at}.objective.target`,
        `must be between 0 and 1 (e.g. 0.999), got ${objective.target}.`,
      );
    }
    if (objective.kind !== 'availability' && !(objective.thresholdMs > 0)) {
      throw invalid(`${at}.objective.thresholdMs`, `must be a positive number of milliseconds.`);
    }
    if (!['availability', 'latency', 'time-to-first-token'].includes(objective.kind)) {
      throw invalid(
        `${at}.objective.kind`,
        'must be availability, latency or time-to-first-token.',
      );
    }
    positiveMultiple(`${at}.windowMs`, slo.windowMs ?? DEFAULT_SLO_WINDOW_MS, buckets.coarseMs);
  });
  rules.forEach((rule, index) => {
    const at = `rules[${index}]`;
    if (!(rule.burnRate > 0)) throw invalid(`${at}.burnRate`, 'must be positive.');
    positiveMultiple(`${at}.longWindowMs`, rule.longWindowMs, buckets.fineMs);
    positiveMultiple(`${at}.shortWindowMs`, rule.shortWindowMs, buckets.fineMs);
    if (rule.shortWindowMs >= rule.longWindowMs) {
      throw invalid(`${at}.shortWindowMs`, 'must be shorter than longWindowMs.');
    }
  });
}
