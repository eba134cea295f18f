/**
 * Everything one router instance keeps between requests: the config in force, the
 * per-model slots routing reads, breakers, stats, costs, the pool and the cache. The
 * concept files (planning, the fallback loop, streaming, health, stats) share it, and
 * `LLMRouter` only composes them.
 */
import {
  createRegistry,
  createSeededRandom,
  InvalidArgumentError,
  type ModelMiddlewareFactoryV1,
} from '@llmr/core';
import type { CacheManager } from './cache/cache-manager';
import type { CacheStore } from './cache/cache-store';
import { type Clock, systemClock } from './clock';
import type { ResolvedModelConfig, ResolvedRouterConfig } from './config/router-config-schema';
import { BudgetTracker } from './cost/budget-tracker';
import { CostOptimizer } from './cost/cost-optimizer';
import { QualityScorer } from './cost/quality-scorer';
import { RouterError } from './errors';
import { type RouterEvent, RouterEvents } from './events';
import type { SelfHealingMonitor } from './health/self-healing-monitor';
import { ModelPool } from './lifecycle/model-pool';
import type { Pipelines } from './pipeline/build-pipelines';
import { CircuitBreaker, defaultCircuitBreakerSettings } from './resilience/circuit-breaker';
import type { RouterOptions } from './router-options';
import type { CandidateSnapshot } from './routing/candidate-snapshot';
import { ModelStats } from './stats/model-stats';
import { builtinStrategies } from './strategies/builtin-strategies';
import type { RoutingStrategy } from './types';

export interface ModelSlot {
  id: string;
  config: ResolvedModelConfig;
  entry: ReturnType<ModelPool['peek']>;
  stats: ModelStats;
  breaker: CircuitBreaker;
  /** `quality.prior(id)` as of `qualityVersion`: a decision reads it per candidate. */
  qualityPrior?: number;
  qualityVersion?: number;
}

export class RouterRuntime {
  config!: ResolvedRouterConfig;
  /** Per model, everything routing reads, resolved once per config so a decision does one lookup per candidate. */
  slots = new Map<string, ModelSlot>();
  allSlots: ModelSlot[] = [];
  routeSlots = new Map<string, ModelSlot[]>();
  /** Recent candidate snapshots per slot list (see routing/candidate-snapshot.ts). */
  candidateSnapshots = new WeakMap<readonly ModelSlot[], CandidateSnapshot[]>();
  /** Off only to compare decisions with and without snapshots. */
  reuseSnapshots = true;
  readonly clock: Clock;
  readonly random: () => number;
  readonly events = new RouterEvents();
  readonly pool: ModelPool;
  readonly strategies = new Map<string, RoutingStrategy>();
  readonly strategyState = new Map<string, unknown>();
  readonly breakers = new Map<string, CircuitBreaker>();
  readonly modelStats = new Map<string, ModelStats>();
  readonly costs = new CostOptimizer();
  readonly quality = new QualityScorer();
  readonly budgets: BudgetTracker;
  cache: CacheManager | undefined;
  readonly customCacheStore: CacheStore | undefined;
  /** Stage factories by name: what `pipeline` entries in config may name. */
  readonly stageFactories: Map<string, ModelMiddlewareFactoryV1>;
  pipelines: Pipelines = { routes: new Map(), models: new Map() };
  /** Present when config enables `selfHealing`. */
  healing: SelfHealingMonitor | undefined;
  healthTimer: unknown;
  disposed = false;
  private requestCounter = 0;

  constructor(readonly options: RouterOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.seed !== undefined ? createSeededRandom(options.seed) : Math.random;
    this.budgets = new BudgetTracker(this.clock);
    this.customCacheStore = options.cacheStore;
    this.stageFactories = new Map(Object.entries(options.stages ?? {}));
    for (const [name, factory] of this.stageFactories) {
      if (typeof factory !== 'function')
        throw new InvalidArgumentError({
          argument: `stages.${name}`,
          value: factory,
          message: `stages.${name} must be a factory function (options) => ModelMiddlewareV1.`,
        });
    }
    for (const strategy of builtinStrategies) this.strategies.set(strategy.name, strategy);
    for (const strategy of options.strategies ?? []) this.registerStrategy(strategy);
    if (options.onEvent) this.events.subscribe(options.onEvent);
    const registry =
      options.registry ??
      (options.loaders ? createRegistry({ loaders: options.loaders }) : undefined);
    this.pool = new ModelPool({
      clock: this.clock,
      registry,
      providers: options.providers ?? {},
      emit: (event) => this.emit(event),
      settings: { keepAliveMs: 300_000 },
    });
  }

  registerStrategy(strategy: RoutingStrategy): void {
    if (!strategy || typeof strategy.name !== 'string' || typeof strategy.rank !== 'function') {
      throw new InvalidArgumentError({
        argument: 'strategy',
        value: strategy,
        message: 'A strategy needs a string `name` and a `rank(candidates, context)` function.',
      });
    }
    this.strategies.set(strategy.name, strategy);
  }

  /** The names config may refer to: custom strategies and pipeline stages. */
  configNames(): { strategies: string[]; stages: string[] } {
    return { strategies: [...this.strategies.keys()], stages: [...this.stageFactories.keys()] };
  }

  nextRequestId(): string {
    return `req-${(++this.requestCounter).toString(36)}`;
  }

  statsFor(id: string): ModelStats {
    let stats = this.modelStats.get(id);
    if (!stats) {
      stats = new ModelStats();
      this.modelStats.set(id, stats);
    }
    return stats;
  }

  breaker(id: string): CircuitBreaker {
    let breaker = this.breakers.get(id);
    if (!breaker) {
      breaker = new CircuitBreaker(
        this.clock,
        { ...defaultCircuitBreakerSettings, ...(this.config.circuitBreaker || {}) },
        (from, to) =>
          this.emit({ type: 'circuit-state', time: this.clock.now(), modelId: id, from, to }),
      );
      this.breakers.set(id, breaker);
    }
    return breaker;
  }

  assertAlive(): void {
    if (this.disposed)
      throw new RouterError({
        code: 'router-disposed',
        message: 'This router has been disposed; create a new one.',
      });
  }

  emit(event: RouterEvent): void {
    this.events.emit(event);
  }
}
