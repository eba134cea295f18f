/**
 * LLMRouter: one entry point over many models. Each request is resolved (model id,
 * alias, route or `auto`), filtered by capability, ranked by a strategy, then tried
 * candidate by candidate with retries, until one produces its first token. Before that
 * point every failure falls back; after it, the stream belongs to that model and a
 * failure ends it with one `error` part. Every decision is an event and is recorded in
 * the RoutingInfo attached to results, streams and errors.
 */
import {
  AbortError,
  createRegistry,
  GenerationError,
  InvalidArgumentError,
  isAbortError,
  type LoaderV1,
  ModelDisposedError,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1Capability,
  type ModelV1EmbedResult,
  type ModelV1GenerateResult,
  type ModelV1Logprob,
  type ModelV1StreamPart,
  type ModelV1ToolCall,
  type ModelV1Usage,
  type Registry,
  TimeoutError,
  UnsupportedFunctionalityError,
  validateCallOptions,
} from '@llmr/core';
import { CacheManager, type CacheStats, replayAsStream } from './cache/cache-manager';
import type { CacheStore } from './cache/cache-store';
import { createMemoryCacheStore } from './cache/memory-cache-store';
import { type Clock, sleep, systemClock } from './clock';
import { watchRouterConfig } from './config/load-router-config';
import { parseRouterConfig, validateRouterConfig } from './config/parse-router-config';
import type {
  ResolvedModelConfig,
  ResolvedRouteConfig,
  ResolvedRouterConfig,
  RouterConfig,
} from './config/router-config-schema';
import { BudgetTracker } from './cost/budget-tracker';
import { CostOptimizer } from './cost/cost-optimizer';
import { QualityScorer } from './cost/quality-scorer';
import { ModelEnsemble, type ModelEnsembleOptions } from './ensemble/model-ensemble';
import { RouterError } from './errors';
import { describeError, type RouterEvent, type RouterEventListener, RouterEvents } from './events';
import { parseMemorySize } from './lifecycle/memory-size';
import { type ModelLease, ModelPool, type ProviderFactory } from './lifecycle/model-pool';
import { createSeededRandom } from './random';
import {
  CircuitBreaker,
  type CircuitSnapshot,
  defaultCircuitBreakerSettings,
} from './resilience/circuit-breaker';
import {
  backoffDelay,
  defaultRetrySettings,
  isRetryableError,
  type RetrySettings,
} from './resilience/retry-policy';
import { AttemptScope, RequestScope } from './routing/attempt-state';
import {
  cachedCapabilityMask,
  capabilityMask,
  missingCapability,
  requiredCapabilities,
} from './routing/capability-filter';
import {
  countPromptTokens,
  estimatePromptTokens,
  promptTokenUpperBound,
} from './routing/estimate-prompt-tokens';
import { ModelStats, type ModelStatsSnapshot } from './stats/model-stats';
import { createBalancedStrategy } from './strategies/balanced-strategy';
import { builtinStrategies } from './strategies/builtin-strategies';
import type {
  AttemptInfo,
  CandidateView,
  RouterEmbedRequest,
  RouterEmbedResult,
  RouterGenerateResult,
  RouterRequest,
  RouterRequestOptions,
  RouterStreamResult,
  RouterTimeouts,
  RoutingInfo,
  RoutingStrategy,
  StrategyContext,
} from './types';

export interface RouterOptions extends RouterConfig {
  /** The core registry that loads `source` models. */
  registry?: Registry;
  /** Shorthand: a registry with these loaders (used when `registry` is not given). */
  loaders?: LoaderV1[];
  /** Remote model factories by name, for models with `provider`, e.g. `{ openai: createOpenAICompatible({...}) }`. */
  providers?: Record<string, ProviderFactory>;
  /** Custom strategies, usable by name in config and requests. */
  strategies?: RoutingStrategy[];
  /** Where the response cache lives (default: memory, when `cache.enabled`). */
  cacheStore?: CacheStore;
  clock?: Clock;
  /** Seeds jitter and weighted-random picks, for replayable tests. */
  seed?: number;
  onEvent?: RouterEventListener;
  /** Prompt tokens for models without a loaded tokenizer (default: ~4 characters a token). */
  estimateTokens?: (options: ModelV1CallOptions) => number;
  /** What a health check runs (default: a 1-token generate). Throw to report unhealthy. */
  healthProbe?: (model: ModelV1, signal: AbortSignal) => Promise<void>;
}

export interface RouterModelStats extends ModelStatsSnapshot {
  loaded: boolean;
  local: boolean;
  memoryBytes?: number;
  circuit: CircuitSnapshot;
}

export interface RouterStats {
  models: Record<string, RouterModelStats>;
  loadedModels: number;
  memoryBytes: number;
  cache?: CacheStats;
  budgets: Record<
    string,
    { spentUsd: number; limitUsd: number; windowMs: number; exceeded: boolean }
  >;
  totalCostUsd: number;
}

export interface RouterModelListing {
  id: string;
  kind: 'model' | 'route' | 'alias';
  /** For aliases: what the name points to. For routes: their models. */
  target?: string;
  models?: string[];
  loaded?: boolean;
  capabilities?: ModelV1Capability[];
  contextLength?: number;
}

export interface HealthReport {
  modelId: string;
  healthy: boolean;
  durationMs: number;
  error?: ReturnType<typeof describeError>;
}

interface ModelSlot {
  id: string;
  config: ResolvedModelConfig;
  entry: ReturnType<ModelPool['peek']>;
  stats: ModelStats;
  breaker: CircuitBreaker;
}

interface Plan {
  routing: RoutingInfo;
  order: string[];
  route?: ResolvedRouteConfig;
  retry: RetrySettings;
  timeouts: RouterTimeouts;
  cacheKey?: { key: string; normalized: string; ttlMs: number };
}

interface Resolution {
  kind: 'auto' | 'route' | 'model';
  target: string;
  aliases: string[];
  route?: ResolvedRouteConfig;
}

/** A stream that has produced its first token: from here on it is the caller's. */
interface Committed {
  modelId: string;
  reader: ReadableStreamDefaultReader<ModelV1StreamPart>;
  pending: ModelV1StreamPart[];
  upstreamStart?: Record<string, unknown>;
  attempt: AttemptScope;
  finish: (outcome: { error?: unknown; usage?: ModelV1Usage; aborted?: boolean }) => void;
}

const routerFields = [
  'model',
  'strategy',
  'cache',
  'timeouts',
  'requestId',
  'expectedOutputTokens',
  'abortSignal',
] as const;

function callOptionsOf(request: RouterRequest, signal: AbortSignal): ModelV1CallOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request)) {
    if (!(routerFields as readonly string[]).includes(key) && value !== undefined)
      options[key] = value;
  }
  options.abortSignal = signal;
  return options as unknown as ModelV1CallOptions;
}

/** Errors that say "this request cannot work here", not "this model is broken". */
function isRequestSpecific(error: unknown): boolean {
  return InvalidArgumentError.isInstance(error) || UnsupportedFunctionalityError.isInstance(error);
}

export class LLMRouter {
  private configValue!: ResolvedRouterConfig;
  /** Per model, everything routing reads, resolved once per config so a decision does one lookup per candidate. */
  private slots = new Map<string, ModelSlot>();
  private allSlots: ModelSlot[] = [];
  private routeSlots = new Map<string, ModelSlot[]>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly events = new RouterEvents();
  private readonly pool: ModelPool;
  private readonly strategies = new Map<string, RoutingStrategy>();
  private readonly strategyState = new Map<string, unknown>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly modelStats = new Map<string, ModelStats>();
  private readonly costs = new CostOptimizer();
  readonly quality = new QualityScorer();
  private readonly budgets: BudgetTracker;
  private cache: CacheManager | undefined;
  private readonly customCacheStore: CacheStore | undefined;
  private healthTimer: unknown;
  private readonly stopWatching = new Set<() => void>();
  private requestCounter = 0;
  private disposed = false;

  constructor(private readonly options: RouterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.seed !== undefined ? createSeededRandom(options.seed) : Math.random;
    this.budgets = new BudgetTracker(this.clock);
    this.customCacheStore = options.cacheStore;
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
    const {
      registry: _r,
      loaders: _l,
      providers: _p,
      strategies: _s,
      cacheStore: _c,
      clock: _k,
      seed: _d,
      onEvent: _o,
      estimateTokens: _e,
      healthProbe: _h,
      ...config
    } = options;
    this.apply(validateRouterConfig(config, { strategies: [...this.strategies.keys()] }), true);
  }

  /** The config in force (validated, defaults applied). */
  get config(): ResolvedRouterConfig {
    return this.configValue;
  }

  subscribe(listener: RouterEventListener): () => void {
    return this.events.subscribe(listener);
  }

  registerStrategy(strategy: RoutingStrategy): this {
    if (!strategy || typeof strategy.name !== 'string' || typeof strategy.rank !== 'function') {
      throw new InvalidArgumentError({
        argument: 'strategy',
        value: strategy,
        message: 'A strategy needs a string `name` and a `rank(candidates, context)` function.',
      });
    }
    this.strategies.set(strategy.name, strategy);
    return this;
  }

  /**
   * Replaces the config without a restart. The new config is validated first (an invalid
   * one throws RouterConfigError and changes nothing). Requests in flight keep the
   * models and settings they started with; removed models unload when their last
   * request ends. Accepts an object or config text (YAML/JSON).
   */
  reload(
    config: RouterConfig | string,
    options: { format?: 'json' | 'yaml'; file?: string } = {},
  ): { added: string[]; removed: string[] } {
    this.assertAlive();
    const strategies = [...this.strategies.keys()];
    const resolved =
      typeof config === 'string'
        ? parseRouterConfig(config, { ...options, strategies })
        : validateRouterConfig(config, { strategies, file: options.file });
    return this.apply(resolved, false);
  }

  /** Reloads whenever the file changes; invalid versions are reported as `config-error` events and ignored. */
  async watchConfig(path: string, options: { debounceMs?: number } = {}): Promise<() => void> {
    const stop = await watchRouterConfig(path, {
      debounceMs: options.debounceMs,
      strategies: [...this.strategies.keys()],
      onChange: (config) => {
        if (!this.disposed) this.apply(config, false);
      },
      onError: (error) =>
        this.emit({ type: 'config-error', time: this.clock.now(), error: describeError(error) }),
    });
    this.stopWatching.add(stop);
    return () => {
      this.stopWatching.delete(stop);
      stop();
    };
  }

  private apply(
    config: ResolvedRouterConfig,
    initial: boolean,
  ): { added: string[]; removed: string[] } {
    this.configValue = config;
    const lifecycle = config.lifecycle ?? {};
    this.pool.settings = {
      keepAliveMs: lifecycle.keepAliveMs ?? 300_000,
      ...(lifecycle.maxLoadedModels !== undefined
        ? { maxLoadedModels: lifecycle.maxLoadedModels }
        : {}),
      ...(lifecycle.maxMemory !== undefined
        ? { maxMemoryBytes: parseMemorySize(lifecycle.maxMemory) }
        : {}),
    };
    const { added, removed } = this.pool.sync(config.models);
    const ids = new Set(config.models.map((model) => model.id));
    for (const id of [...this.breakers.keys()]) if (!ids.has(id)) this.breakers.delete(id);
    for (const id of [...this.modelStats.keys()]) if (!ids.has(id)) this.modelStats.delete(id);
    const breakerSettings = { ...defaultCircuitBreakerSettings, ...(config.circuitBreaker || {}) };
    for (const breaker of this.breakers.values()) breaker.settings = breakerSettings;
    this.slots = new Map(
      config.models.map((model) => [
        model.id,
        {
          id: model.id,
          config: model,
          entry: this.pool.peek(model.id),
          stats: this.statsFor(model.id),
          breaker: this.breaker(model.id),
        },
      ]),
    );
    this.allSlots = [...this.slots.values()];
    this.routeSlots = new Map(
      Object.entries(config.routes).map(([name, route]) => {
        const ids = route.models
          ? [...new Set([...route.models, ...(route.fallback ?? [])])]
          : route.fallback;
        return [name, ids ? ids.map((id) => this.slots.get(id)!) : this.allSlots];
      }),
    );
    this.costs.setPricing(config.models.map((model) => [model.id, model.pricing]));
    this.quality.setPriors(config.models.map((model) => [model.id, model.quality]));
    if (config.balancedWeights)
      this.strategies.set('balanced', createBalancedStrategy(config.balancedWeights));
    const cacheSettings = config.cache;
    if (cacheSettings?.enabled || (this.customCacheStore && cacheSettings?.enabled !== false)) {
      const ttlMs = cacheSettings?.ttlMs ?? 300_000;
      if (this.cache) this.cache.defaultTtlMs = ttlMs;
      else {
        const store =
          this.customCacheStore ??
          createMemoryCacheStore({
            clock: this.clock,
            ...(cacheSettings?.maxEntries !== undefined
              ? { maxEntries: cacheSettings.maxEntries }
              : {}),
            ...(cacheSettings?.maxBytes !== undefined
              ? { maxBytes: parseMemorySize(cacheSettings.maxBytes) }
              : {}),
          });
        this.cache = new CacheManager(store, ttlMs, () => this.clock.now());
      }
    } else this.cache = undefined;
    this.scheduleHealthChecks();
    if (!initial) {
      this.emit({
        type: 'config-reload',
        time: this.clock.now(),
        models: config.models.length,
        routes: Object.keys(config.routes).length,
        added,
        removed,
      });
    }
    return { added, removed };
  }

  // ---------------------------------------------------------------- routing

  /**
   * The decision for a request, without running it: candidates ranked with their
   * scores, and those excluded with why. A dry run: round-robin does not advance.
   */
  route(request: RouterRequest): RoutingInfo {
    this.assertAlive();
    return this.plan(request, 'generate', true).routing;
  }

  private resolve(requested: string): Resolution {
    const aliases: string[] = [];
    let name = requested;
    while (this.configValue.aliases[name] !== undefined && aliases.length < 16) {
      aliases.push(name);
      name = this.configValue.aliases[name]!;
    }
    if (name === 'auto') {
      const routeName = this.configValue.defaultRoute;
      if (routeName)
        return {
          kind: 'route',
          target: routeName,
          aliases: [...aliases, 'auto'],
          route: this.configValue.routes[routeName],
        };
      return { kind: 'auto', target: 'auto', aliases };
    }
    const route = this.configValue.routes[name];
    if (route) return { kind: 'route', target: name, aliases, route };
    if (this.pool.has(name)) return { kind: 'model', target: name, aliases };
    throw new RouterError({
      code: 'model-not-found',
      message: `No model, route or alias is named "${requested}". Known: ${this.listModels()
        .map((listing) => listing.id)
        .join(', ')}, or "auto".`,
    });
  }

  private statsFor(id: string): ModelStats {
    let stats = this.modelStats.get(id);
    if (!stats) {
      stats = new ModelStats();
      this.modelStats.set(id, stats);
    }
    return stats;
  }

  private breaker(id: string): CircuitBreaker {
    let breaker = this.breakers.get(id);
    if (!breaker) {
      breaker = new CircuitBreaker(
        this.clock,
        { ...defaultCircuitBreakerSettings, ...(this.configValue.circuitBreaker || {}) },
        (from, to) =>
          this.emit({ type: 'circuit-state', time: this.clock.now(), modelId: id, from, to }),
      );
      this.breakers.set(id, breaker);
    }
    return breaker;
  }

  private plan(
    request: RouterRequest | RouterEmbedRequest,
    mode: 'generate' | 'stream' | 'embed',
    dryRun = false,
  ): Plan {
    const requestId = request.requestId ?? `req-${(++this.requestCounter).toString(36)}`;
    const requested = request.model ?? 'auto';
    const resolution = this.resolve(requested);
    const route = resolution.route;
    const routeName = resolution.kind === 'route' ? resolution.target : undefined;
    const config = this.configValue;
    let slots: ModelSlot[];
    if (resolution.kind === 'model') slots = [this.slots.get(resolution.target)!];
    else if (routeName) slots = this.routeSlots.get(routeName) ?? this.allSlots;
    else slots = this.allSlots;

    const callOptions = mode === 'embed' ? undefined : (request as RouterRequest);
    const estimate = callOptions
      ? (this.options.estimateTokens ?? estimatePromptTokens)(callOptions)
      : 0;
    const expectedOutputTokens =
      mode === 'embed'
        ? 0
        : ((request as RouterRequest).expectedOutputTokens ??
          (request as RouterRequest).maxTokens ??
          256);
    let strategyName =
      resolution.kind === 'model'
        ? 'pinned'
        : (request.strategy ??
          route?.strategy ??
          (route?.fallback ? 'fallback' : undefined) ??
          config.strategy ??
          'balanced');

    const routing: RoutingInfo = {
      requestId,
      requested,
      resolution: { kind: resolution.kind, target: resolution.target, aliases: resolution.aliases },
      ...(routeName ? { route: routeName } : {}),
      strategy: strategyName,
      candidates: [],
      excluded: [],
      attempts: [],
      cached: false,
      promptTokens: estimate,
      timings: { startedAt: this.clock.now() },
    };

    // A spent budget refuses, or narrows the candidates to cheaper models.
    if (route?.budget && routeName && !dryRun) {
      const { limitUsd, windowMs, onExceeded = 'refuse', downgradeTo } = route.budget;
      const spentUsd = this.budgets.spent(routeName, windowMs);
      if (spentUsd >= limitUsd) {
        this.emit({
          type: 'budget-exceeded',
          time: this.clock.now(),
          requestId,
          route: routeName,
          spentUsd,
          limitUsd,
          action: onExceeded,
        });
        if (onExceeded === 'refuse') {
          throw new RouterError({
            code: 'budget-exceeded',
            message: `Route "${routeName}" has spent $${spentUsd.toFixed(6)} of its $${limitUsd} budget for this ${windowMs} ms window. Wait, raise budget.limitUsd, or set budget.onExceeded: downgrade.`,
            routing,
            retryAfterMs: this.budgets.nextRelease(routeName, windowMs),
          });
        }
        const cheapest = [...slots].sort(
          (a, b) =>
            this.costs.estimate(a.id, estimate, expectedOutputTokens) -
            this.costs.estimate(b.id, estimate, expectedOutputTokens),
        )[0];
        slots = downgradeTo
          ? downgradeTo.flatMap((id) => this.slots.get(id) ?? [])
          : cheapest
            ? [cheapest]
            : [];
        strategyName = 'cost-optimized';
        routing.strategy = strategyName;
        routing.downgraded = { reason: 'budget-exceeded', route: routeName, spentUsd, limitUsd };
      }
    }

    // Capability and health filters come before any ranking.
    const required: ModelV1Capability[] = callOptions
      ? requiredCapabilities(callOptions)
      : ['embeddings'];
    const requiredMask = capabilityMask(required);
    const views: CandidateView[] = [];
    // Exact counts cost a tokenizer pass: only worth it when the prompt might not fit.
    const upperBound = callOptions ? promptTokenUpperBound(callOptions) : 0;
    let counted: { tokenizer: unknown; count: number } | undefined;
    let exactPromptTokens: number | undefined;
    for (let order = 0; order < slots.length; order++) {
      const { id, config: modelConfig, entry, stats, breaker } = slots[order]!;
      const info = entry?.info;
      const capabilities = modelConfig.capabilities ?? info?.capabilities;
      const contextLength = modelConfig.contextLength ?? info?.contextLength;
      const missing =
        capabilities !== undefined &&
        (cachedCapabilityMask(capabilities) & requiredMask) !== requiredMask
          ? missingCapability(capabilities, required)
          : undefined;
      if (missing) {
        routing.excluded.push({
          modelId: id,
          reason: `capability:${missing}`,
          detail: `declares ${capabilities?.join(', ') || 'nothing'}`,
        });
        continue;
      }
      let promptTokens = estimate;
      if (callOptions && contextLength !== undefined && upperBound >= contextLength) {
        const tokenizer = entry?.model?.tokenizer;
        if (tokenizer) {
          if (counted?.tokenizer !== tokenizer)
            counted = { tokenizer, count: countPromptTokens(callOptions, tokenizer) };
          promptTokens = counted.count;
          exactPromptTokens ??= promptTokens;
        }
        if (promptTokens >= contextLength) {
          routing.excluded.push({
            modelId: id,
            reason: 'context-length',
            detail: `prompt ${tokenizer ? '' : '~'}${promptTokens} tokens, context ${contextLength}`,
          });
          continue;
        }
      }
      if (!breaker.canPass()) {
        const snapshot = breaker.snapshot();
        routing.excluded.push({
          modelId: id,
          reason: 'circuit-open',
          detail: snapshot.retryAt !== undefined ? `retry at ${snapshot.retryAt}` : snapshot.state,
        });
        continue;
      }
      const errorRate = stats.errorRate;
      const pricing = modelConfig.pricing;
      const view: CandidateView = {
        modelId: id,
        order,
        capabilities,
        contextLength,
        pricing,
        quality: this.quality.score(id, errorRate),
        // The CostOptimizer's formula, inlined: this loop runs once per candidate per request.
        estimatedCostUsd: pricing
          ? (promptTokens * pricing.input + expectedOutputTokens * pricing.output) / 1_000_000
          : 0,
        weight: modelConfig.weight ?? 1,
        inFlight: stats.inFlight,
        loaded: entry?.model !== undefined,
        circuit: breaker.state,
        errorRate,
        ttftMs: stats.ttft.percentile(50) ?? modelConfig.speed?.ttftMs,
        tokensPerSecond: stats.tokensPerSecond.percentile(50) ?? modelConfig.speed?.tokensPerSecond,
        samples: stats.ttft.count,
      };
      views.push(view);
    }
    if (exactPromptTokens !== undefined) routing.promptTokens = exactPromptTokens;

    if (views.length === 0) {
      throw new RouterError({
        code: 'no-candidates',
        // Open circuits close again: worth retrying later. Missing capabilities never are.
        isRetryable: routing.excluded.some((excluded) => excluded.reason === 'circuit-open'),
        message: `No model can serve this request for "${requested}": ${
          routing.excluded
            .map(
              (excluded) =>
                `${excluded.modelId} (${excluded.reason}${excluded.detail ? `: ${excluded.detail}` : ''})`,
            )
            .join(', ') || 'the route has no models'
        }.`,
        routing,
      });
    }

    if (strategyName === 'pinned') {
      routing.candidates = views.map((view) => ({
        modelId: view.modelId,
        score: 1,
        details: { pinned: true },
      }));
    } else {
      const strategy = this.strategies.get(strategyName);
      if (!strategy) {
        throw new InvalidArgumentError({
          argument: 'strategy',
          value: strategyName,
          message: `Unknown strategy "${strategyName}"; use one of ${[...this.strategies.keys()].join(', ')}.`,
        });
      }
      const context: StrategyContext = {
        request,
        ...(routeName ? { route: routeName } : {}),
        promptTokens: routing.promptTokens,
        expectedOutputTokens,
        random: this.random,
        now: this.clock.now(),
        routeSettings: {
          ...(route?.weights ? { weights: route.weights } : {}),
          ...(route?.fallback ? { fallback: route.fallback } : {}),
        },
        state: dryRun ? new Map(this.strategyState) : this.strategyState,
      };
      routing.candidates = strategy.rank(views, context);
      if (route?.maxCandidates !== undefined)
        routing.candidates = routing.candidates.slice(0, route.maxCandidates);
    }
    if (!dryRun && this.events.active) {
      this.emit({
        type: 'route',
        time: this.clock.now(),
        requestId,
        requested,
        ...(routeName ? { route: routeName } : {}),
        strategy: routing.strategy,
        candidates: routing.candidates,
        excluded: routing.excluded,
      });
    }
    const retry: RetrySettings = { ...defaultRetrySettings, ...config.retry, ...route?.retry };
    const timeouts: RouterTimeouts = {
      ...config.timeouts,
      ...route?.timeouts,
      ...request.timeouts,
    };
    return {
      routing,
      order: routing.candidates.map((candidate) => candidate.modelId),
      ...(route ? { route } : {}),
      retry,
      timeouts,
    };
  }

  // ---------------------------------------------------------------- running

  private cacheLookupKey(
    request: RouterRequest,
  ): { key: string; normalized: string; ttlMs: number } | undefined {
    if (!this.cache || request.cache === false) return undefined;
    const resolution = this.resolve(request.model ?? 'auto');
    const routeCache = resolution.route?.cache;
    if (routeCache === false) return undefined;
    const ttlMs =
      (typeof routeCache === 'object' ? routeCache.ttlMs : undefined) ?? this.cache.defaultTtlMs;
    return {
      ...this.cache.key(
        resolution.kind === 'auto' ? 'auto' : `${resolution.kind}:${resolution.target}`,
        request,
      ),
      ttlMs,
    };
  }

  private cachedRouting(request: RouterRequest, modelId: string): RoutingInfo {
    const resolution = this.resolve(request.model ?? 'auto');
    return {
      requestId: request.requestId ?? `req-${(++this.requestCounter).toString(36)}`,
      requested: request.model ?? 'auto',
      resolution: { kind: resolution.kind, target: resolution.target, aliases: resolution.aliases },
      ...(resolution.kind === 'route' ? { route: resolution.target } : {}),
      strategy: 'cache',
      modelId,
      candidates: [],
      excluded: [],
      attempts: [],
      cached: true,
      promptTokens: (this.options.estimateTokens ?? estimatePromptTokens)(request),
      costUsd: 0,
      timings: { startedAt: this.clock.now(), totalMs: 0 },
    };
  }

  /**
   * The cache, then the plan: a hit comes back with its routing (and emits cache-hit);
   * otherwise the plan carries the cache key (and cache-miss is emitted).
   */
  private async lookupOrPlan(
    request: RouterRequest,
    kind: 'generate' | 'stream',
  ): Promise<
    | { hit: { result: ModelV1GenerateResult; routing: RoutingInfo }; plan?: undefined }
    | { hit?: undefined; plan: ReturnType<LLMRouter['plan']> }
  > {
    this.assertAlive();
    validateCallOptions(request);
    const cacheKey = this.cacheLookupKey(request);
    if (cacheKey) {
      const hit = await this.cache!.get(cacheKey.key, cacheKey.normalized);
      if (hit) {
        const routing = this.cachedRouting(request, hit.modelId);
        routing.usage = hit.result.usage;
        this.emit({
          type: 'cache-hit',
          time: this.clock.now(),
          requestId: routing.requestId,
          key: cacheKey.key,
        });
        return { hit: { result: hit.result, routing } };
      }
    }
    const plan = this.plan(request, kind);
    if (cacheKey) {
      plan.cacheKey = cacheKey;
      this.emit({
        type: 'cache-miss',
        time: this.clock.now(),
        requestId: plan.routing.requestId,
        key: cacheKey.key,
      });
    }
    return { plan };
  }

  /** Runs a request to completion. Any failure before the answer is complete falls back. */
  async generate(request: RouterRequest): Promise<RouterGenerateResult> {
    const { hit, plan } = await this.lookupOrPlan(request, 'generate');
    if (hit) return { ...hit.result, routing: hit.routing };
    const scope = new RequestScope(this.clock, request.abortSignal, plan.timeouts.totalMs);
    try {
      const { value } = await this.tryCandidates(plan, scope, (modelId, attempt, lease) =>
        this.generateAttempt(plan, request, modelId, attempt, lease),
      );
      return value;
    } finally {
      scope.close();
    }
  }

  /**
   * Streams a request. Resolves once a model has produced its first token (or finished
   * with none); rejects when every candidate failed before that, so an HTTP server can
   * still answer with an error status.
   */
  async stream(request: RouterRequest): Promise<RouterStreamResult> {
    const { hit, plan } = await this.lookupOrPlan(request, 'stream');
    if (hit) {
      const { metadata: _metadata, ...result } = hit.result;
      const routing = hit.routing;
      return {
        stream: replayAsStream(result, { start: { routing }, finish: { routing } }),
        routing,
        done: Promise.resolve(routing),
      };
    }
    const scope = new RequestScope(this.clock, request.abortSignal, plan.timeouts.totalMs);
    let committed: Committed;
    try {
      ({ value: committed } = await this.tryCandidates(plan, scope, (modelId, attempt, lease) =>
        this.streamAttempt(plan, request, modelId, attempt, lease),
      ));
    } catch (error) {
      scope.close();
      throw error;
    }
    return this.forward(plan, scope, committed);
  }

  /** Embeddings through the same routing, retries and fallbacks (models with the `embeddings` capability). */
  async embed(request: RouterEmbedRequest): Promise<RouterEmbedResult> {
    this.assertAlive();
    if (
      !Array.isArray(request.values) ||
      request.values.some((value) => typeof value !== 'string')
    ) {
      throw new InvalidArgumentError({
        argument: 'values',
        value: request.values,
        message: '`values` must be an array of strings.',
      });
    }
    const plan = this.plan(request, 'embed');
    const scope = new RequestScope(this.clock, request.abortSignal, plan.timeouts.totalMs);
    try {
      const { value } = await this.tryCandidates(plan, scope, async (modelId, attempt, lease) => {
        const model = lease.model;
        if (!model.doEmbed)
          throw new UnsupportedFunctionalityError({
            functionality: 'embeddings',
            message: `Model "${modelId}" has no doEmbed.`,
          });
        const started = this.clock.now();
        const result: ModelV1EmbedResult = await attempt.race(
          model.doEmbed({ values: request.values, abortSignal: attempt.signal }),
        );
        const stats = this.statsFor(modelId);
        stats.inputTokens += result.usage.inputTokens;
        const costUsd = this.costs.estimate(modelId, result.usage.inputTokens, 0);
        this.chargeCost(plan, modelId, costUsd);
        plan.routing.modelId = modelId;
        plan.routing.costUsd = costUsd;
        plan.routing.usage = { inputTokens: result.usage.inputTokens, outputTokens: 0 };
        plan.routing.timings = {
          startedAt: scope.startedAt,
          totalMs: this.clock.now() - scope.startedAt,
        };
        this.emit({
          type: 'request-finish',
          time: this.clock.now(),
          requestId: plan.routing.requestId,
          modelId,
          cached: false,
          costUsd,
          totalMs: this.clock.now() - started,
        });
        return { value: { ...result, routing: plan.routing }, verdict: { success: true } };
      });
      return value;
    } finally {
      scope.close();
    }
  }

  /**
   * The retry and fallback loop. `run` performs one attempt on a leased model and says
   * whether it counts as a success for the circuit breaker and stats (a committed
   * stream reports its verdict later, through its own `finish`).
   */
  private async tryCandidates<T>(
    plan: Plan,
    scope: RequestScope,
    run: (
      modelId: string,
      attempt: AttemptScope,
      lease: ModelLease,
    ) => Promise<{ value: T; verdict?: { success: boolean } }>,
  ): Promise<{ value: T; modelId: string }> {
    const { routing } = plan;
    let lastError: unknown;
    for (const [index, modelId] of plan.order.entries()) {
      const next = plan.order[index + 1];
      for (let retry = 0; retry <= plan.retry.maxRetries; retry++) {
        let delayMs: number | undefined;
        if (retry > 0) {
          const decision = backoffDelay(plan.retry, retry, lastError, this.random);
          if ('skip' in decision) {
            routing.attempts.push({
              modelId,
              retry,
              outcome: 'skipped',
              durationMs: 0,
              reason: decision.skip,
            });
            break;
          }
          delayMs = decision.delayMs;
          this.emit({
            type: 'retry',
            time: this.clock.now(),
            requestId: routing.requestId,
            modelId,
            retry,
            delayMs,
          });
          try {
            await sleep(this.clock, delayMs, scope.signal);
          } catch {
            throw this.stopped(plan, scope, lastError);
          }
        }
        if (scope.signal.aborted) throw this.stopped(plan, scope, lastError);
        const breaker = this.breaker(modelId);
        if (!breaker.tryAcquire()) {
          routing.attempts.push({
            modelId,
            retry,
            outcome: 'skipped',
            durationMs: 0,
            reason: `circuit ${breaker.state}`,
          });
          break;
        }
        const started = this.clock.now();
        const stats = this.statsFor(modelId);
        const attempt = new AttemptScope(this.clock, scope, plan.timeouts.firstTokenMs, modelId);
        this.emit({
          type: 'attempt-start',
          time: started,
          requestId: routing.requestId,
          modelId,
          retry,
        });
        stats.start(started);
        let lease: ModelLease | undefined;
        try {
          const acquiring = this.pool.acquire(modelId);
          lease = await attempt.race(acquiring).catch((error: unknown) => {
            // Loading goes on after a deadline; hand the lease back when it lands.
            acquiring.then(
              (late) => late.release(),
              () => {},
            );
            throw error;
          });
          const { value, verdict } = await run(modelId, attempt, lease);
          const info: AttemptInfo = {
            modelId,
            retry,
            outcome: 'success',
            durationMs: this.clock.now() - started,
            ...(delayMs !== undefined ? { delayMs } : {}),
          };
          routing.attempts.push(info);
          if (verdict) {
            // Finished inside the attempt (generate, embed): settle everything now.
            attempt.close();
            lease.release();
            stats.end();
            stats.recordOutcome(verdict.success);
            if (verdict.success) breaker.recordSuccess();
            else breaker.recordFailure();
          }
          return { value, modelId };
        } catch (caught) {
          // The attempt's own abort reason says what really happened (deadline, caller).
          const error = attempt.signal.aborted ? attempt.signal.reason : caught;
          attempt.close();
          attempt.controller.abort(error);
          lease?.release();
          stats.end();
          const callerStopped = scope.signal.aborted;
          if (callerStopped && isAbortError(scope.reason)) breaker.release();
          else if (isRequestSpecific(error)) breaker.release();
          else {
            breaker.recordFailure();
            stats.recordOutcome(false);
          }
          lastError = error;
          const retryable = !callerStopped && isRetryableError(error);
          const willRetry = retryable && retry < plan.retry.maxRetries;
          routing.attempts.push({
            modelId,
            retry,
            outcome: 'error',
            durationMs: this.clock.now() - started,
            error: describeError(error),
            ...(delayMs !== undefined ? { delayMs } : {}),
          });
          this.emit({
            type: 'attempt-error',
            time: this.clock.now(),
            requestId: routing.requestId,
            modelId,
            retry,
            error: describeError(error),
            willRetry,
          });
          if (callerStopped) throw this.stopped(plan, scope, error);
          if (!retryable) break;
        }
      }
      if (next)
        this.emit({
          type: 'fallback',
          time: this.clock.now(),
          requestId: routing.requestId,
          from: modelId,
          to: next,
          reason: lastError ? describeError(lastError).message : 'skipped',
        });
    }
    const error = new RouterError({
      code: 'all-candidates-failed',
      isRetryable: routing.attempts.some(
        (attempt) => attempt.error?.isRetryable || attempt.outcome === 'skipped',
      ),
      message: `Every candidate for "${routing.requested}" failed before its first token: ${routing.attempts
        .map(
          (attempt) =>
            `${attempt.modelId}#${attempt.retry} ${attempt.outcome === 'skipped' ? `skipped (${attempt.reason})` : attempt.error?.message}`,
        )
        .join('; ')}`,
      cause: lastError,
      attempts: routing.attempts,
      routing,
    });
    this.emit({
      type: 'request-error',
      time: this.clock.now(),
      requestId: routing.requestId,
      afterFirstToken: false,
      error: describeError(error),
    });
    throw error;
  }

  /** The error for a request its caller aborted or its total deadline ended. */
  private stopped(plan: Plan, scope: RequestScope, lastError: unknown): unknown {
    const reason = scope.reason;
    const error = TimeoutError.isInstance(reason)
      ? new RouterError({
          code: 'timeout',
          isRetryable: true,
          message: `${reason.message} Tried: ${plan.routing.attempts.map((attempt) => attempt.modelId).join(', ') || 'nothing'}.`,
          cause: reason,
          attempts: plan.routing.attempts,
          routing: plan.routing,
        })
      : AbortError.isInstance(reason)
        ? reason
        : (lastError ?? reason);
    this.emit({
      type: 'request-error',
      time: this.clock.now(),
      requestId: plan.routing.requestId,
      afterFirstToken: false,
      error: describeError(error),
    });
    return error;
  }

  private async generateAttempt(
    plan: Plan,
    request: RouterRequest,
    modelId: string,
    attempt: AttemptScope,
    lease: ModelLease,
  ) {
    const started = this.clock.now();
    const { stream } = await startStream(
      attempt,
      lease.model,
      callOptionsOf(request, attempt.signal),
    );
    const reader = stream.getReader();
    const collected = new Collector();
    let firstTokenAt: number | undefined;
    try {
      while (true) {
        const { done, value: part } = await attempt.read(reader);
        if (done)
          throw new GenerationError({
            modelId,
            code: 'stream-incomplete',
            isRetryable: true,
            message: `The stream of model "${modelId}" ended without a finish part.`,
          });
        if (part.type === 'error') throw part.error;
        if (firstTokenAt === undefined && isToken(part)) {
          firstTokenAt = this.clock.now();
          attempt.firstTokenArrived();
          this.recordFirstToken(plan, modelId, firstTokenAt - started);
        }
        collected.push(part);
        if (part.type === 'finish') break;
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    }
    reader.releaseLock();
    const result = collected.result();
    const totalMs = this.clock.now() - plan.routing.timings!.startedAt;
    this.settleUsage(plan, modelId, result.usage, firstTokenAt);
    plan.routing.timings = {
      ...plan.routing.timings!,
      ...(firstTokenAt !== undefined
        ? { firstTokenMs: firstTokenAt - plan.routing.timings!.startedAt }
        : {}),
      totalMs,
    };
    if (plan.cacheKey)
      void this.cache?.set(
        plan.cacheKey.key,
        plan.cacheKey.normalized,
        modelId,
        result,
        plan.cacheKey.ttlMs,
      );
    this.emit({
      type: 'request-finish',
      time: this.clock.now(),
      requestId: plan.routing.requestId,
      modelId,
      cached: false,
      ...(plan.routing.costUsd !== undefined ? { costUsd: plan.routing.costUsd } : {}),
      totalMs,
    });
    return {
      value: { ...result, routing: plan.routing } as RouterGenerateResult,
      verdict: { success: true },
    };
  }

  /** Reads until the first token; any failure before it throws (and so falls back). */
  private async streamAttempt(
    plan: Plan,
    request: RouterRequest,
    modelId: string,
    attempt: AttemptScope,
    lease: ModelLease,
  ): Promise<{ value: Committed }> {
    const started = this.clock.now();
    const { stream } = await startStream(
      attempt,
      lease.model,
      callOptionsOf(request, attempt.signal),
    );
    const reader = stream.getReader();
    const pending: ModelV1StreamPart[] = [];
    let upstreamStart: Record<string, unknown> | undefined;
    // A token that completes no text yet (half a multi-byte character) is still the first
    // token for TTFT, but not a commit: no text has reached the caller.
    let firstTokenAt: number | undefined;
    try {
      while (true) {
        const { done, value: part } = await attempt.read(reader);
        if (done)
          throw new GenerationError({
            modelId,
            code: 'stream-incomplete',
            isRetryable: true,
            message: `The stream of model "${modelId}" ended before its first token.`,
          });
        if (part.type === 'error') throw part.error;
        if (part.type === 'stream-start') {
          upstreamStart = part.metadata;
          continue;
        }
        pending.push(part);
        if (isToken(part) && firstTokenAt === undefined) {
          firstTokenAt = this.clock.now();
          attempt.firstTokenArrived();
        }
        if (isFirstText(part) || part.type === 'usage' || part.type === 'finish') break;
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    }
    firstTokenAt ??= this.clock.now();
    attempt.firstTokenArrived();
    this.recordFirstToken(plan, modelId, firstTokenAt - started);
    plan.routing.modelId = modelId;
    plan.routing.timings = {
      ...plan.routing.timings!,
      firstTokenMs: firstTokenAt - plan.routing.timings!.startedAt,
    };
    const breaker = this.breaker(modelId);
    const stats = this.statsFor(modelId);
    let finished = false;
    return {
      value: {
        modelId,
        reader,
        pending,
        ...(upstreamStart ? { upstreamStart } : {}),
        attempt,
        finish: ({ error, usage, aborted }) => {
          if (finished) return;
          finished = true;
          attempt.close();
          lease.release();
          stats.end();
          const totalMs = this.clock.now() - plan.routing.timings!.startedAt;
          plan.routing.timings = { ...plan.routing.timings!, totalMs };
          if (aborted) breaker.release();
          else if (error === undefined) {
            stats.recordOutcome(true);
            breaker.recordSuccess();
          } else if (!isRequestSpecific(error)) {
            stats.recordOutcome(false);
            breaker.recordFailure();
          } else breaker.release();
          if (usage) this.settleUsage(plan, modelId, usage, firstTokenAt);
        },
      },
    };
  }

  private recordFirstToken(plan: Plan, modelId: string, ttftMs: number) {
    this.statsFor(modelId).ttft.record(ttftMs);
    this.emit({
      type: 'first-token',
      time: this.clock.now(),
      requestId: plan.routing.requestId,
      modelId,
      ttftMs,
    });
  }

  private settleUsage(
    plan: Plan,
    modelId: string,
    usage: ModelV1Usage,
    firstTokenAt: number | undefined,
  ) {
    const stats = this.statsFor(modelId);
    stats.inputTokens += usage.inputTokens;
    stats.outputTokens += usage.outputTokens;
    if (firstTokenAt !== undefined && usage.outputTokens >= 2) {
      const seconds = (this.clock.now() - firstTokenAt) / 1000;
      // Tokens after the first, over the time they took.
      if (seconds > 0) stats.tokensPerSecond.record((usage.outputTokens - 1) / seconds);
    }
    const costUsd = this.costs.costOf(modelId, usage);
    this.chargeCost(plan, modelId, costUsd);
    plan.routing.modelId = modelId;
    plan.routing.usage = usage;
    plan.routing.costUsd = costUsd;
  }

  private chargeCost(plan: Plan, modelId: string, costUsd: number) {
    this.statsFor(modelId).totalCostUsd += costUsd;
    if (plan.routing.route && costUsd > 0) this.budgets.record(plan.routing.route, costUsd);
  }

  /** The caller's stream over a committed model stream: no fallback from here on. */
  private forward(plan: Plan, scope: RequestScope, committed: Committed): RouterStreamResult {
    const { routing } = plan;
    const { reader, attempt, modelId } = committed;
    const queue = [...committed.pending];
    // Only a cached answer needs the whole text kept.
    const collected = plan.cacheKey ? new Collector() : undefined;
    let usage: ModelV1Usage | undefined;
    let resolveDone!: (routing: RoutingInfo & { error?: unknown }) => void;
    const done = new Promise<RoutingInfo & { error?: unknown }>((resolve) => {
      resolveDone = resolve;
    });
    let closed = false;
    const end = (outcome: { error?: unknown; aborted?: boolean }) => {
      if (closed) return;
      closed = true;
      committed.finish({ ...outcome, ...(usage ? { usage } : {}) });
      scope.close();
      const totalMs = routing.timings?.totalMs ?? this.clock.now() - scope.startedAt;
      if (outcome.error === undefined && !outcome.aborted) {
        if (plan.cacheKey && collected)
          void this.cache?.set(
            plan.cacheKey.key,
            plan.cacheKey.normalized,
            modelId,
            collected.result(),
            plan.cacheKey.ttlMs,
          );
        this.emit({
          type: 'request-finish',
          time: this.clock.now(),
          requestId: routing.requestId,
          modelId,
          cached: false,
          ...(routing.costUsd !== undefined ? { costUsd: routing.costUsd } : {}),
          totalMs,
        });
        resolveDone(routing);
      } else {
        this.emit({
          type: 'request-error',
          time: this.clock.now(),
          requestId: routing.requestId,
          modelId,
          afterFirstToken: true,
          error: describeError(outcome.error ?? new AbortError()),
        });
        resolveDone({ ...routing, error: outcome.error ?? new AbortError() });
      }
    };
    const snapshot = (): RoutingInfo => ({ ...routing, attempts: [...routing.attempts] });

    const handle = (
      part: ModelV1StreamPart,
      controller: ReadableStreamDefaultController<ModelV1StreamPart>,
    ): boolean => {
      switch (part.type) {
        case 'stream-start':
          return false; // Ours went first.
        case 'error':
          controller.enqueue(part);
          end({
            error: part.error,
            aborted:
              scope.signal.aborted &&
              isAbortError(scope.reason) &&
              !TimeoutError.isInstance(scope.reason),
          });
          controller.close();
          return true;
        case 'usage':
          usage = part.usage;
          collected?.push(part);
          controller.enqueue(part);
          return false;
        case 'finish': {
          collected?.push(part);
          end({});
          controller.enqueue({ ...part, metadata: { ...part.metadata, routing: snapshot() } });
          controller.close();
          return true;
        }
        default:
          collected?.push(part);
          controller.enqueue(part);
          return false;
      }
    };

    const fail = (
      error: unknown,
      controller: ReadableStreamDefaultController<ModelV1StreamPart>,
    ) => {
      void reader.cancel().catch(() => {});
      handle({ type: 'error', error }, controller);
    };

    const stream = new ReadableStream<ModelV1StreamPart>(
      {
        start: (controller) => {
          controller.enqueue({
            type: 'stream-start',
            metadata: {
              routing: snapshot(),
              ...(committed.upstreamStart ? { upstream: committed.upstreamStart } : {}),
            },
          });
        },
        pull: async (controller) => {
          if (closed) return;
          try {
            // Parts read before the commit go out first; then one part per pull.
            while (true) {
              let part = queue.shift();
              if (part === undefined) {
                // The hot path, once per token: one await, no wrappers.
                const result = await reader.read();
                if (attempt.signal.aborted) throw attempt.signal.reason;
                part = result.done ? incompleteStream(modelId) : result.value;
              }
              const stop = handle(part, controller);
              if (stop || part.type !== 'stream-start') return;
            }
          } catch (caught) {
            const error = attempt.signal.aborted ? attempt.signal.reason : caught;
            fail(error, controller);
          }
        },
        cancel: () => {
          attempt.controller.abort(new AbortError({ message: 'The caller cancelled the stream.' }));
          void reader.cancel().catch(() => {});
          end({ aborted: true });
        },
      },
      { highWaterMark: 0 },
    );
    return { stream, routing: snapshot(), done };
  }

  // ---------------------------------------------------------------- ensembles, health, stats

  /**
   * The router as a plain ModelV1 for one target (a route, alias, model id or `'auto'`),
   * for code that takes a model: `generate(router.asModel('chat'), options)`. Results
   * carry the routing info in `metadata.routing`. Its info is the union of the
   * candidates' capabilities and the largest context. Disposing it leaves the router.
   */
  asModel(target = 'auto', defaults: Omit<RouterRequestOptions, 'model'> = {}): ModelV1 {
    const router = this;
    let disposed = false;
    const check = () => {
      if (disposed) throw new ModelDisposedError({ modelId: target });
    };
    const ids = (() => {
      const resolution = this.resolve(target);
      if (resolution.kind === 'model') return [resolution.target];
      const slots =
        resolution.kind === 'route'
          ? (this.routeSlots.get(resolution.target) ?? this.allSlots)
          : this.allSlots;
      return slots.map((slot) => slot.id);
    })();
    const capabilities = new Set<ModelV1Capability>();
    let contextLength = 0;
    for (const id of ids) {
      const config = this.slots.get(id)?.config;
      const info = this.pool.info(id);
      for (const capability of config?.capabilities ?? info?.capabilities ?? [])
        capabilities.add(capability);
      contextLength = Math.max(contextLength, config?.contextLength ?? info?.contextLength ?? 0);
    }
    return {
      specificationVersion: 'v1',
      info: {
        id: target,
        format: 'llmr-router',
        contextLength: contextLength || 4096,
        capabilities: [...capabilities],
      },
      async doGenerate(options) {
        check();
        const { routing, ...result } = await router.generate({
          ...defaults,
          ...options,
          model: target,
        } as RouterRequest);
        return { ...result, metadata: { ...result.metadata, routing } };
      },
      async doStream(options) {
        check();
        const { stream } = await router.stream({
          ...defaults,
          ...options,
          model: target,
        } as RouterRequest);
        return { stream };
      },
      async doEmbed(options) {
        check();
        const { routing: _routing, ...result } = await router.embed({ ...options, model: target });
        return result;
      },
      async dispose() {
        disposed = true;
      },
    };
  }

  /** A ModelEnsemble over this router: best-of-n, majority vote, first-to-finish. */
  ensemble(options: ModelEnsembleOptions): ModelEnsemble {
    return new ModelEnsemble(this, options);
  }

  /** Feedback on an answer's quality in [0, 1]; moves the model's quality score. */
  recordQuality(modelId: string, score: number): void {
    this.quality.record(modelId, score);
  }

  /**
   * Runs one health check of each model that is loaded (or remote): a 1-token
   * generate (or `healthProbe`). Results feed the circuit breakers.
   */
  async checkHealth(ids?: string[]): Promise<HealthReport[]> {
    const settings = this.configValue.healthCheck || undefined;
    const targets = (ids ?? this.pool.ids()).filter((id) => this.pool.isLoaded(id));
    return Promise.all(
      targets.map(async (modelId) => {
        const started = this.clock.now();
        const controller = new AbortController();
        const timeoutMs = settings?.timeoutMs ?? 10_000;
        const timer = this.clock.setTimeout(
          () =>
            controller.abort(
              new TimeoutError({
                timeoutMs,
                message: `Health check of "${modelId}" timed out after ${timeoutMs} ms.`,
              }),
            ),
          timeoutMs,
        );
        const breaker = this.breaker(modelId);
        let lease: ModelLease | undefined;
        try {
          lease = await this.pool.acquire(modelId);
          const probe =
            this.options.healthProbe?.(lease.model, controller.signal) ??
            lease.model
              .doGenerate({
                prompt: settings?.prompt ?? 'ping',
                maxTokens: 1,
                abortSignal: controller.signal,
              })
              .then(() => undefined);
          await Promise.race([
            probe,
            new Promise<never>((_, reject) =>
              controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
                once: true,
              }),
            ),
          ]);
          breaker.recordSuccess();
          const report: HealthReport = {
            modelId,
            healthy: true,
            durationMs: this.clock.now() - started,
          };
          this.emit({ type: 'health-check', time: this.clock.now(), ...report });
          return report;
        } catch (caught) {
          const error = controller.signal.aborted ? controller.signal.reason : caught;
          breaker.recordFailure();
          const report: HealthReport = {
            modelId,
            healthy: false,
            durationMs: this.clock.now() - started,
            error: describeError(error),
          };
          this.emit({ type: 'health-check', time: this.clock.now(), ...report });
          return report;
        } finally {
          this.clock.clearTimeout(timer);
          lease?.release();
        }
      }),
    );
  }

  private scheduleHealthChecks() {
    if (this.healthTimer !== undefined) this.clock.clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    const settings = this.configValue.healthCheck;
    if (!settings || this.disposed) return;
    const tick = () => {
      this.healthTimer = undefined;
      void this.checkHealth().finally(() => {
        if (!this.disposed && this.configValue.healthCheck === settings)
          this.healthTimer = this.clock.setTimeout(tick, settings.intervalMs, { background: true });
      });
    };
    this.healthTimer = this.clock.setTimeout(tick, settings.intervalMs, { background: true });
  }

  /** Live numbers per model (in flight, TTFT and tokens/s percentiles, error rate, circuit), cache and budgets. */
  stats(): RouterStats {
    const models: Record<string, RouterModelStats> = {};
    let totalCostUsd = 0;
    for (const id of this.pool.ids()) {
      const view = this.pool.view(id)!;
      const stats = this.statsFor(id).snapshot();
      totalCostUsd += stats.totalCostUsd;
      models[id] = {
        ...stats,
        loaded: view.loaded,
        local: view.local,
        ...(view.memoryBytes !== undefined ? { memoryBytes: view.memoryBytes } : {}),
        circuit: this.breakers.get(id)?.snapshot() ?? { state: 'closed', consecutiveFailures: 0 },
      };
    }
    const budgets: RouterStats['budgets'] = {};
    for (const [name, route] of Object.entries(this.configValue.routes)) {
      if (!route.budget) continue;
      const spentUsd = this.budgets.spent(name, route.budget.windowMs);
      budgets[name] = {
        spentUsd,
        limitUsd: route.budget.limitUsd,
        windowMs: route.budget.windowMs,
        exceeded: spentUsd >= route.budget.limitUsd,
      };
    }
    return {
      models,
      loadedModels: this.pool.loadedLocalCount,
      memoryBytes: this.pool.memoryInUse,
      ...(this.cache ? { cache: this.cache.stats() } : {}),
      budgets,
      totalCostUsd,
    };
  }

  /** Every name a request may use: models, routes and aliases (for an OpenAI `/v1/models`). */
  listModels(): RouterModelListing[] {
    const config = this.configValue;
    const models: RouterModelListing[] = config.models.map((model) => {
      const info = this.pool.info(model.id);
      const capabilities = model.capabilities ?? info?.capabilities;
      const contextLength = model.contextLength ?? info?.contextLength;
      return {
        id: model.id,
        kind: 'model',
        loaded: this.pool.isLoaded(model.id),
        ...(capabilities ? { capabilities } : {}),
        ...(contextLength !== undefined ? { contextLength } : {}),
      };
    });
    const routes: RouterModelListing[] = Object.entries(config.routes).map(([name, route]) => ({
      id: name,
      kind: 'route',
      models: route.models ?? route.fallback ?? config.models.map((model) => model.id),
    }));
    const aliases: RouterModelListing[] = Object.entries(config.aliases).map(([name, target]) => ({
      id: name,
      kind: 'alias',
      target,
    }));
    return [...models, ...routes, ...aliases];
  }

  /** Loads a model now (warm-up), or unloads one (when idle). */
  async load(modelId: string): Promise<void> {
    this.assertAlive();
    if (!this.pool.has(modelId))
      throw new RouterError({
        code: 'model-not-found',
        message: `No model "${modelId}" is registered.`,
      });
    const lease = await this.pool.acquire(modelId);
    lease.release();
  }

  /**
   * Runs `use` with one loaded model (an id, an alias of one, or a route or `auto` when it
   * has a single model), loading it if needed; the model stays loaded until `use` settles.
   * For what needs the model itself rather than a routed generation: its tokenizer, its
   * info.
   */
  async withModel<T>(
    name: string,
    use: (model: ModelV1, modelId: string) => Promise<T> | T,
  ): Promise<T> {
    this.assertAlive();
    const resolution = this.resolve(name);
    let modelId = resolution.target;
    if (resolution.kind !== 'model') {
      const slots =
        resolution.kind === 'route'
          ? (this.routeSlots.get(resolution.target) ?? this.allSlots)
          : this.allSlots;
      if (slots.length !== 1)
        throw new InvalidArgumentError({
          argument: 'model',
          value: name,
          message: `"${name}" routes over ${slots.length} models (${slots.map((slot) => slot.id).join(', ')}); name one of them.`,
        });
      modelId = slots[0]!.id;
    }
    const lease = await this.pool.acquire(modelId);
    try {
      return await use(lease.model, modelId);
    } finally {
      lease.release();
    }
  }

  unload(modelId: string): Promise<boolean> {
    return this.pool.unload(modelId, 'manual');
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.healthTimer !== undefined) this.clock.clearTimeout(this.healthTimer);
    for (const stop of this.stopWatching) stop();
    this.stopWatching.clear();
    await this.pool.disposeAll();
  }

  private assertAlive() {
    if (this.disposed)
      throw new RouterError({
        code: 'router-disposed',
        message: 'This router has been disposed; create a new one.',
      });
  }

  private emit(event: RouterEvent) {
    this.events.emit(event);
  }
}

/** Starts a model stream under the attempt's deadline; a stream that arrives too late is cancelled. */
async function startStream(attempt: AttemptScope, model: ModelV1, options: ModelV1CallOptions) {
  const starting = model.doStream(options);
  try {
    return await attempt.race(starting);
  } catch (error) {
    starting.then(
      ({ stream }) => stream.cancel().catch(() => {}),
      () => {},
    );
    throw error;
  }
}

function incompleteStream(modelId: string): ModelV1StreamPart {
  return {
    type: 'error',
    error: new GenerationError({
      modelId,
      code: 'stream-incomplete',
      isRetryable: true,
      message: `The stream of model "${modelId}" ended without a finish part.`,
    }),
  };
}

/** Output that reaches the caller: once forwarded, there is no falling back. */
function isFirstText(part: ModelV1StreamPart): boolean {
  return (
    (part.type === 'text-delta' && part.delta.length > 0) ||
    part.type === 'tool-call-delta' ||
    part.type === 'tool-call'
  );
}

/** Any generated token, even one that completes no text yet (core emits those as empty deltas). */
function isToken(part: ModelV1StreamPart): boolean {
  return part.type === 'text-delta' || part.type === 'tool-call-delta' || part.type === 'tool-call';
}

/** Folds parts into a generate result, as collectStream does, part by part. */
class Collector {
  private text = '';
  private readonly tokens: number[] = [];
  private sawTokens = false;
  private readonly logprobs: ModelV1Logprob[] = [];
  private readonly toolCalls: ModelV1ToolCall[] = [];
  private usage: ModelV1Usage | undefined;
  private finish: Extract<ModelV1StreamPart, { type: 'finish' }> | undefined;

  push(part: ModelV1StreamPart) {
    switch (part.type) {
      case 'text-delta':
        this.text += part.delta;
        if (part.tokens) {
          this.sawTokens = true;
          this.tokens.push(...part.tokens);
        }
        if (part.logprobs) this.logprobs.push(...part.logprobs);
        break;
      case 'tool-call':
        this.toolCalls.push(part.toolCall);
        break;
      case 'usage':
        this.usage = part.usage;
        break;
      case 'finish':
        this.finish = part;
        break;
      default:
        break;
    }
  }

  result(): ModelV1GenerateResult {
    return {
      text: this.text,
      ...(this.sawTokens ? { tokens: this.tokens } : {}),
      ...(this.toolCalls.length ? { toolCalls: this.toolCalls } : {}),
      ...(this.logprobs.length ? { logprobs: this.logprobs } : {}),
      finishReason: this.finish?.finishReason ?? 'stop',
      usage: this.usage ?? {
        inputTokens: 0,
        outputTokens: this.sawTokens ? this.tokens.length : 0,
      },
      ...(this.finish?.metadata ? { metadata: this.finish.metadata } : {}),
    };
  }
}

/** Creates an LLMRouter. Config fields (models, routes, aliases, ...) and runtime options side by side. */
export function createRouter(options: RouterOptions = {}): LLMRouter {
  return new LLMRouter(options);
}

/** Creates a router from a JSON or YAML config file (with line-numbered errors), optionally watching it. */
export async function createRouterFromFile(
  path: string,
  options: Omit<RouterOptions, keyof RouterConfig> & { watch?: boolean } = {},
): Promise<LLMRouter> {
  const { loadRouterConfig } = await import('./config/load-router-config');
  const { watch, ...runtime } = options;
  const config = await loadRouterConfig(path, {
    strategies: (runtime.strategies ?? []).map((strategy) => strategy.name),
  });
  const router = new LLMRouter({ ...runtime, ...(config as RouterConfig) });
  if (watch) await router.watchConfig(path);
  return router;
}
