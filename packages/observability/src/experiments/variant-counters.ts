/**
 * A variant's numbers as flat additive counters (`requests`, `errors`, and
 * `<metric>.count|sum|sumOfSquares`), the form a store adds up across replicas, and back.
 */
import type { ExperimentMetric } from './experiment-definition';
import type { VariantCounters } from './experiment-store';
import { emptyMoments, type Moments } from './statistics';

export type ContinuousMetric = Exclude<ExperimentMetric, 'errorRate'>;
export const CONTINUOUS: readonly ContinuousMetric[] = [
  'latencyMs',
  'timeToFirstTokenMs',
  'outputTokens',
  'cost',
  'feedback',
];

export interface VariantState {
  requests: number;
  errors: number;
  moments: Record<ContinuousMetric, Moments>;
}

export function newVariantState(): VariantState {
  return {
    requests: 0,
    errors: 0,
    moments: Object.fromEntries(CONTINUOUS.map((metric) => [metric, emptyMoments()])) as Record<
      ContinuousMetric,
      Moments
    >,
  };
}

export function addCounter(counters: VariantCounters, name: string, by: number): void {
  counters[name] = (counters[name] ?? 0) + by;
}

/** Adds one sample of `metric` to the counters. */
export function addSampleCounters(counters: VariantCounters, metric: string, value: number): void {
  addCounter(counters, `${metric}.count`, 1);
  addCounter(counters, `${metric}.sum`, value);
  addCounter(counters, `${metric}.sumOfSquares`, value * value);
}

/** The state that the sum of these counter sets describes. */
export function variantStateOf(...sets: (VariantCounters | undefined)[]): VariantState {
  const state = newVariantState();
  for (const counters of sets) {
    if (!counters) continue;
    state.requests += counters.requests ?? 0;
    state.errors += counters.errors ?? 0;
    for (const metric of CONTINUOUS) {
      const moments = state.moments[metric];
      moments.count += counters[`${metric}.count`] ?? 0;
      moments.sum += counters[`${metric}.sum`] ?? 0;
      moments.sumOfSquares += counters[`${metric}.sumOfSquares`] ?? 0;
    }
  }
  return state;
}
