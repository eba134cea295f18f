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
 *
 * State lives in an `ExperimentStore`. The request path never waits for it: outcomes are
 * counted locally at once (guardrails see them at once) and go to the store with `sync`,
 * which a timer runs (`startSyncing`) and the HTTP routes run before they report. With a
 * shared store (Redis), every replica reports the same numbers, takes the same looks into
 * account, and stops or promotes when any one of them does.
 */

import { ObservabilityError } from '../errors';
import { repeatEvery } from '../repeat-every';
import { assignVariant } from './assign-variant';
import {
  type ExperimentDefinition,
  type ExperimentMetric,
  type ExperimentStatus,
  type ExperimentVariant,
  validateExperiment,
} from './experiment-definition';
import {
  type ExperimentStatusRecord,
  type ExperimentStore,
  MemoryExperimentStore,
  type VariantCounters,
} from './experiment-store';
import {
  addSample,
  meanInterval,
  meanOf,
  rateInterval,
  twoProportionZTest,
  welchTTest,
} from './statistics';
import {
  addCounter,
  addSampleCounters,
  CONTINUOUS,
  newVariantState,
  type VariantState,
  variantStateOf,
} from './variant-counters';

export interface ExperimentOutcome {
  error: boolean;
  latencyMs?: number;
  timeToFirstTokenMs?: number;
  outputTokens?: number;
  cost?: number;
}

interface ExperimentState {
  definition: ExperimentDefinition;
  status: ExperimentStatus;
  stoppedReason?: string;
  promoted?: string;
  looks: number;
  /** What the store said at the last sync, plus what was counted here since. */
  variants: Map<string, VariantState>;
  /** Counted here, not yet in the store. */
  pending: Map<string, VariantCounters>;
  pendingLooks: number;
  pendingStatus: ExperimentStatusRecord | undefined;
  /** Totals at the last sync. */
  synced: { counters: Record<string, VariantCounters>; looks: number };
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
  /** Called when an experiment stops (by hand, by a guardrail, by promotion, or on another replica). */
  onStop?: (id: string, reason: string) => void;
  /** Where counters and status live; default in memory (this process only). */
  store?: ExperimentStore;
}

export class ExperimentManager {
  private readonly experiments = new Map<string, ExperimentState>();
  private readonly store: ExperimentStore;
  private syncing: Promise<void> | undefined;

  constructor(private readonly options: ExperimentManagerOptions = {}) {
    this.store = options.store ?? new MemoryExperimentStore();
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
    const status = start ? 'running' : 'draft';
    this.experiments.set(definition.id, {
      definition,
      status,
      looks: 0,
      variants: new Map(definition.variants.map((variant) => [variant.name, newVariantState()])),
      pending: new Map(),
      pendingLooks: 0,
      pendingStatus: { status },
      synced: { counters: {}, looks: 0 },
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
    state.pendingStatus = { status: 'running' };
  }

  stop(id: string, reason = 'stopped by hand'): void {
    const state = this.state(id);
    if (state.status === 'stopped') return;
    state.status = 'stopped';
    state.stoppedReason = reason;
    state.pendingStatus = { status: 'stopped', stoppedReason: reason };
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
    state.pendingStatus = {
      status: 'stopped',
      stoppedReason: state.stoppedReason,
      promoted: variantName,
    };
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
  ): { state: ExperimentState; variant: VariantState; pending: VariantCounters } {
    const state = this.state(id);
    const variant = state.variants.get(variantName);
    if (!variant) {
      throw new ObservabilityError({
        code: 'experiment-variant-not-found',
        message: `Experiment "${id}" has no variant "${variantName}".`,
      });
    }
    let pending = state.pending.get(variantName);
    if (!pending) {
      pending = {};
      state.pending.set(variantName, pending);
    }
    return { state, variant, pending };
  }

  recordOutcome(id: string, variantName: string, outcome: ExperimentOutcome): void {
    const { state, variant, pending } = this.variantState(id, variantName);
    if (state.status !== 'running') return;
    variant.requests += 1;
    addCounter(pending, 'requests', 1);
    if (outcome.error) {
      variant.errors += 1;
      addCounter(pending, 'errors', 1);
    }
    for (const metric of ['latencyMs', 'timeToFirstTokenMs', 'outputTokens', 'cost'] as const) {
      const value = outcome[metric];
      if (value !== undefined && Number.isFinite(value)) {
        addSample(variant.moments[metric], value);
        addSampleCounters(pending, metric, value);
      }
    }
    this.checkGuardrails(state, variantName, variant);
  }

  /** A quality score in [0, 1] for a response this variant served. */
  recordFeedback(id: string, variantName: string, score: number): void {
    const { variant, pending } = this.variantState(id, variantName);
    const clamped = Math.min(1, Math.max(0, score));
    addSample(variant.moments.feedback, clamped);
    addSampleCounters(pending, 'feedback', clamped);
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
    const state = this.state(id);
    state.looks += 1;
    state.pendingLooks += 1;
    return this.report(id);
  }

  /**
   * Sends what was counted here to the store and takes back the totals of every replica,
   * with any stop or promotion another one recorded; guardrails then run on the totals.
   * Concurrent calls share one exchange.
   */
  sync(): Promise<void> {
    this.syncing ??= this.exchangeAll().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /** Runs `sync` every `everyMs` until the returned function is called. */
  startSyncing(everyMs: number, onError: (error: unknown) => void): () => void {
    return repeatEvery(everyMs, () => this.sync(), onError);
  }

  /** A last sync, then the store's connection closes. */
  async close(): Promise<void> {
    await this.sync();
    await this.store.close?.();
  }

  private async exchangeAll(): Promise<void> {
    for (const state of this.experiments.values()) {
      const counters = Object.fromEntries(state.pending);
      const looks = state.pendingLooks;
      const status = state.pendingStatus;
      state.pending = new Map();
      state.pendingLooks = 0;
      state.pendingStatus = undefined;
      let snapshot: Awaited<ReturnType<ExperimentStore['exchange']>>;
      try {
        snapshot = await this.store.exchange(state.definition.id, {
          variants: state.definition.variants.map((variant) => variant.name),
          counters,
          looks,
          ...(status ? { status } : {}),
        });
      } catch (error) {
        // Nothing is lost: what was taken goes back, ahead of what came in meanwhile.
        for (const [variant, taken] of Object.entries(counters)) {
          const pending = state.pending.get(variant) ?? {};
          for (const [name, by] of Object.entries(taken)) addCounter(pending, name, by);
          state.pending.set(variant, pending);
        }
        state.pendingLooks += looks;
        state.pendingStatus ??= status;
        throw error;
      }
      state.synced = { counters: snapshot.counters, looks: snapshot.looks };
      // The totals, plus what was counted here while the exchange was in flight.
      for (const variant of state.definition.variants) {
        state.variants.set(
          variant.name,
          variantStateOf(snapshot.counters[variant.name], state.pending.get(variant.name)),
        );
      }
      state.looks = snapshot.looks + state.pendingLooks;
      this.adopt(state, snapshot.status);
      if (state.status === 'running') {
        for (const [name, variant] of state.variants) this.checkGuardrails(state, name, variant);
      }
    }
  }

  /** Takes a status another replica recorded: a stop or a promotion, or a start. */
  private adopt(state: ExperimentState, recorded: ExperimentStatusRecord | undefined): void {
    if (!recorded || state.pendingStatus) return;
    if (recorded.promoted && !state.promoted) state.promoted = recorded.promoted;
    if (recorded.status === 'stopped' && state.status !== 'stopped') {
      state.status = 'stopped';
      state.stoppedReason = recorded.stoppedReason ?? 'stopped on another replica';
      this.options.onStop?.(state.definition.id, state.stoppedReason);
    } else if (recorded.status === 'running' && state.status === 'draft') {
      state.status = 'running';
    }
  }
}

export type { ExperimentStatus } from './experiment-definition';
