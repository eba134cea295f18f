/**
 * Runs A/B experiments: sticky assignment, outcome recording per variant, guardrails that
 * stop an experiment by themselves, and reports with means, confidence intervals and tests
 * against the control (Welch's t for continuous metrics, the two-proportion z-test for the
 * error rate).
 *
 * Peeking correction: Bonferroni over planned looks and treatment arms. Each comparison is
 * called significant at alpha / (plannedLooks x treatments), so the chance of any false
 * positive stays under alpha as long as decisions (`analyze`) are taken at most
 * `plannedLooks` times. `report` is free to read at any time and never counts as a look.
 */
import { ObservabilityError } from '../errors';
import { assignVariant } from './assign-variant';
import {
  type ExperimentDefinition,
  type ExperimentMetric,
  type ExperimentVariant,
  validateExperiment,
} from './experiment-definition';
import {
  addSample,
  emptyMoments,
  type Moments,
  meanInterval,
  meanOf,
  rateInterval,
  twoProportionZTest,
  welchTTest,
} from './statistics';

export interface ExperimentOutcome {
  error: boolean;
  latencyMs?: number;
  timeToFirstTokenMs?: number;
  outputTokens?: number;
  cost?: number;
}

type ContinuousMetric = Exclude<ExperimentMetric, 'errorRate'>;
const CONTINUOUS: readonly ContinuousMetric[] = [
  'latencyMs',
  'timeToFirstTokenMs',
  'outputTokens',
  'cost',
  'feedback',
];

interface VariantState {
  requests: number;
  errors: number;
  moments: Record<ContinuousMetric, Moments>;
}

export type ExperimentStatus = 'draft' | 'running' | 'stopped';

interface ExperimentState {
  definition: ExperimentDefinition;
  status: ExperimentStatus;
  stoppedReason?: string;
  promoted?: string;
  looks: number;
  variants: Map<string, VariantState>;
}

export interface MetricSummary {
  count: number;
  mean: number;
  interval: [number, number];
}

export interface Comparison {
  difference: number;
  interval: [number, number];
  pValue: number;
  significant: boolean;
  test: 'welch-t' | 'two-proportion-z';
}

export interface VariantReport {
  name: string;
  requests: number;
  metrics: Record<ExperimentMetric, MetricSummary>;
  /** Against the control; absent on the control itself. */
  comparisons?: Partial<Record<ExperimentMetric, Comparison>>;
}

export interface ExperimentReport {
  id: string;
  status: ExperimentStatus;
  stoppedReason?: string;
  promoted?: string;
  alpha: number;
  plannedLooks: number;
  looksTaken: number;
  /** The level each comparison is tested at. */
  comparisonAlpha: number;
  correction: string;
  primaryMetric: ExperimentMetric;
  variants: VariantReport[];
  warnings: string[];
}

export interface ExperimentManagerOptions {
  experiments?: ExperimentDefinition[];
  /** Called when an experiment stops (by hand, by a guardrail, or by promotion). */
  onStop?: (id: string, reason: string) => void;
}

function newVariantState(): VariantState {
  return {
    requests: 0,
    errors: 0,
    moments: Object.fromEntries(CONTINUOUS.map((metric) => [metric, emptyMoments()])) as Record<
      ContinuousMetric,
      Moments
    >,
  };
}

export class ExperimentManager {
  private readonly experiments = new Map<string, ExperimentState>();

  constructor(private readonly options: ExperimentManagerOptions = {}) {
    for (const definition of options.experiments ?? []) this.create(definition, { start: true });
  }

  create(definition: ExperimentDefinition, { start = false } = {}): void {
    validateExperiment(definition);
    if (this.experiments.has(definition.id)) {
      throw new ObservabilityError({
        code: 'experiment-exists',
        message: `An experiment "${definition.id}" already exists; pick another id or stop and delete it first.`,
      });
    }
    this.experiments.set(definition.id, {
      definition,
      status: start ? 'running' : 'draft',
      looks: 0,
      variants: new Map(definition.variants.map((variant) => [variant.name, newVariantState()])),
    });
  }

  private state(id: string): ExperimentState {
    const state = this.experiments.get(id);
    if (!state) {
      throw new ObservabilityError({
        code: 'experiment-not-found',
        message: `No experiment "${id}". Known: ${[...this.experiments.keys()].join(', ') || 'none'}.`,
      });
    }
    return state;
  }

  list(): { id: string; status: ExperimentStatus }[] {
    return [...this.experiments.values()].map((state) => ({
      id: state.definition.id,
      status: state.status,
    }));
  }

  definition(id: string): ExperimentDefinition {
    return this.state(id).definition;
  }

  start(id: string): void {
    const state = this.state(id);
    if (state.status === 'stopped') {
      throw new ObservabilityError({
        code: 'experiment-stopped',
        message: `Experiment "${id}" has stopped (${state.stoppedReason}); create a new one to run again.`,
      });
    }
    state.status = 'running';
  }

  stop(id: string, reason = 'stopped by hand'): void {
    const state = this.state(id);
    if (state.status === 'stopped') return;
    state.status = 'stopped';
    state.stoppedReason = reason;
    this.options.onStop?.(id, reason);
  }

  /** Ends the experiment with `variant` as the winner; returns that variant's settings. */
  promote(id: string, variantName: string): ExperimentVariant {
    const state = this.state(id);
    const variant = state.definition.variants.find((candidate) => candidate.name === variantName);
    if (!variant) {
      throw new ObservabilityError({
        code: 'experiment-variant-not-found',
        message: `Experiment "${id}" has no variant "${variantName}". Variants: ${state.definition.variants.map((candidate) => candidate.name).join(', ')}.`,
      });
    }
    this.stop(id, `promoted ${variantName}`);
    state.promoted = variantName;
    return variant;
  }

  /**
   * The variant for this caller, or undefined when the experiment is not running (or, for
   * a scoped experiment, the route is another one). A promoted experiment serves its winner.
   */
  assign(id: string, key: string, route?: string): ExperimentVariant | undefined {
    const state = this.state(id);
    if (state.definition.route && route !== undefined && state.definition.route !== route)
      return undefined;
    if (state.promoted)
      return state.definition.variants.find((variant) => variant.name === state.promoted);
    if (state.status !== 'running') return undefined;
    return assignVariant(state.definition, key);
  }

  /** Every running (or promoted) experiment that applies to this request, with its variant. */
  assignAll(
    keys: Partial<Record<'user' | 'session' | 'key', string>>,
    route?: string,
  ): { experimentId: string; variant: ExperimentVariant }[] {
    const assigned: { experimentId: string; variant: ExperimentVariant }[] = [];
    for (const state of this.experiments.values()) {
      if (state.status !== 'running' && !state.promoted) continue;
      // A promoted winner serves everyone, keyed or not.
      const key = keys[state.definition.assignBy ?? 'user'] ?? (state.promoted ? '' : undefined);
      if (key === undefined) continue;
      const variant = this.assign(state.definition.id, key, route);
      if (variant) assigned.push({ experimentId: state.definition.id, variant });
    }
    return assigned;
  }

  private variantState(
    id: string,
    variantName: string,
  ): { state: ExperimentState; variant: VariantState } {
    const state = this.state(id);
    const variant = state.variants.get(variantName);
    if (!variant) {
      throw new ObservabilityError({
        code: 'experiment-variant-not-found',
        message: `Experiment "${id}" has no variant "${variantName}".`,
      });
    }
    return { state, variant };
  }

  recordOutcome(id: string, variantName: string, outcome: ExperimentOutcome): void {
    const { state, variant } = this.variantState(id, variantName);
    if (state.status !== 'running') return;
    variant.requests += 1;
    if (outcome.error) variant.errors += 1;
    for (const metric of ['latencyMs', 'timeToFirstTokenMs', 'outputTokens', 'cost'] as const) {
      const value = outcome[metric];
      if (value !== undefined && Number.isFinite(value)) addSample(variant.moments[metric], value);
    }
    this.checkGuardrails(state, variantName, variant);
  }

  /** A quality score in [0, 1] for a response this variant served. */
  recordFeedback(id: string, variantName: string, score: number): void {
    const { variant } = this.variantState(id, variantName);
    addSample(variant.moments.feedback, Math.min(1, Math.max(0, score)));
  }

  private checkGuardrails(
    state: ExperimentState,
    variantName: string,
    variant: VariantState,
  ): void {
    const guardrails = state.definition.guardrails;
    if (!guardrails || variant.requests < (guardrails.minSamples ?? 50)) return;
    const errorRate = variant.errors / variant.requests;
    if (guardrails.maxErrorRate !== undefined && errorRate > guardrails.maxErrorRate) {
      this.stop(
        state.definition.id,
        `guardrail: variant "${variantName}" error rate ${errorRate.toFixed(3)} is above ${guardrails.maxErrorRate}`,
      );
      return;
    }
    const latency = meanOf(variant.moments.latencyMs);
    if (guardrails.maxMeanLatencyMs !== undefined && latency > guardrails.maxMeanLatencyMs) {
      this.stop(
        state.definition.id,
        `guardrail: variant "${variantName}" mean latency ${latency.toFixed(0)} ms is above ${guardrails.maxMeanLatencyMs} ms`,
      );
    }
  }

  /** The current numbers; reading them is not a look. */
  report(id: string): ExperimentReport {
    const state = this.state(id);
    const definition = state.definition;
    const alpha = definition.alpha ?? 0.05;
    const plannedLooks = definition.plannedLooks ?? 1;
    const treatments = definition.variants.length - 1;
    const comparisonAlpha = alpha / plannedLooks / treatments;
    const [control, ...others] = definition.variants.map((variant) => ({
      name: variant.name,
      state: state.variants.get(variant.name) ?? newVariantState(),
    }));
    const summarize = (variant: VariantState): Record<ExperimentMetric, MetricSummary> => {
      const metrics = {} as Record<ExperimentMetric, MetricSummary>;
      for (const metric of CONTINUOUS) {
        const { mean, interval } = meanInterval(variant.moments[metric], alpha);
        metrics[metric] = { count: variant.moments[metric].count, mean, interval };
      }
      const { rate, interval } = rateInterval(variant.errors, variant.requests, alpha);
      metrics.errorRate = { count: variant.requests, mean: rate, interval };
      return metrics;
    };
    const compare = (treatment: VariantState) => {
      if (!control) return {};
      const comparisons: Partial<Record<ExperimentMetric, Comparison>> = {};
      for (const metric of CONTINUOUS) {
        const result = welchTTest(
          control.state.moments[metric],
          treatment.moments[metric],
          comparisonAlpha,
        );
        if (result) {
          comparisons[metric] = {
            difference: result.difference,
            interval: result.interval,
            pValue: result.pValue,
            significant: result.pValue < comparisonAlpha,
            test: 'welch-t',
          };
        }
      }
      const rates = twoProportionZTest(
        { successes: control.state.errors, trials: control.state.requests },
        { successes: treatment.errors, trials: treatment.requests },
        comparisonAlpha,
      );
      if (rates) {
        comparisons.errorRate = {
          difference: rates.difference,
          interval: rates.interval,
          pValue: rates.pValue,
          significant: rates.pValue < comparisonAlpha,
          test: 'two-proportion-z',
        };
      }
      return comparisons;
    };
    const warnings: string[] = [];
    if (state.looks > plannedLooks) {
      warnings.push(
        `Analyzed ${state.looks} times but ${plannedLooks} looks were planned: the false-positive rate is no longer bounded by alpha ${alpha}.`,
      );
    }
    return {
      id: definition.id,
      status: state.status,
      ...(state.stoppedReason ? { stoppedReason: state.stoppedReason } : {}),
      ...(state.promoted ? { promoted: state.promoted } : {}),
      alpha,
      plannedLooks,
      looksTaken: state.looks,
      comparisonAlpha,
      correction: `Bonferroni over ${plannedLooks} planned look(s) and ${treatments} treatment(s): each comparison is tested at alpha / ${plannedLooks * treatments}; intervals of differences are at that level too.`,
      primaryMetric: definition.primaryMetric ?? 'errorRate',
      variants: [
        ...(control
          ? [
              {
                name: control.name,
                requests: control.state.requests,
                metrics: summarize(control.state),
              },
            ]
          : []),
        ...others.map((variant) => ({
          name: variant.name,
          requests: variant.state.requests,
          metrics: summarize(variant.state),
          comparisons: compare(variant.state),
        })),
      ],
      warnings,
    };
  }

  /** A look: the report a decision is taken on. Counts against `plannedLooks`. */
  analyze(id: string): ExperimentReport {
    this.state(id).looks += 1;
    return this.report(id);
  }
}
