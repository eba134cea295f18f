/**
 * LLMRouter: one entry point over many models. Each request is resolved (model id,
 * alias, route or `auto`), filtered by capability, ranked by a strategy, then tried
 * candidate by candidate with retries, until one produces its first token. Before that
 * point every failure falls back; after it, the stream belongs to that model and a
 * failure ends it with one `error` part. Every decision is an event and is recorded in
 * the RoutingInfo attached to results, streams and errors.
 *
 * This class only composes the concepts: config (`config/apply-config`), planning
 * (`routing/plan-request`), the fallback loop (`routing/try-candidates`), streaming
 * (`streaming/`), health (`health/`) and stats (`stats/router-stats`).
 */
import { InvalidArgumentError, type ModelV1 } from '@llmr/core';
import { replayAsStream } from './cache/cache-manager';
import { lookupOrPlan } from './cache/lookup-or-plan';
import { applyConfig } from './config/apply-config';
import { watchRouterConfig } from './config/load-router-config';
import { parseRouterConfig, validateRouterConfig } from './config/parse-router-config';
import type { ResolvedRouterConfig, RouterConfig } from './config/router-config-schema';
import type { QualityScorer } from './cost/quality-scorer';
import { ModelEnsemble, type ModelEnsembleOptions } from './ensemble/model-ensemble';
import { RouterError } from './errors';
import { describeError, type RouterEventListener } from './events';
import { checkHealth, type HealthReport } from './health/check-health';
import { withModel } from './lifecycle/with-model';
import { routerAsModel } from './router-as-model';
import type { RouterOptions } from './router-options';
import { RouterRuntime } from './router-runtime';
import { RequestScope } from './routing/attempt-state';
import { embedAttempt } from './routing/embed-attempt';
import { generateAttempt } from './routing/generate-attempt';
import { listModels, type RouterModelListing } from './routing/list-models';
import { planRequest } from './routing/plan-request';
import { tryCandidates } from './routing/try-candidates';
import { type RouterStats, routerStats } from './stats/router-stats';
import { type Committed, commitStream } from './streaming/commit-stream';
import { forwardStream } from './streaming/forward-stream';
import type {
  RouterEmbedRequest,
  RouterEmbedResult,
  RouterGenerateResult,
  RouterRequest,
  RouterRequestOptions,
  RouterStreamResult,
  RoutingInfo,
  RoutingStrategy,
} from './types';

export type { HealthReport } from './health/check-health';
export type { RouterOptions } from './router-options';
export type { RouterModelListing } from './routing/list-models';
export type { RouterModelStats, RouterStats } from './stats/router-stats';

export class LLMRouter {
  private readonly runtime: RouterRuntime;
  private readonly stopWatching = new Set<() => void>();

  constructor(options: RouterOptions = {}) {
    const runtime = new RouterRuntime(options);
    this.runtime = runtime;
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
    applyConfig(
      runtime,
      validateRouterConfig(config, { strategies: [...runtime.strategies.keys()] }),
      true,
    );
  }

  /** The config in force (validated, defaults applied). */
  get config(): ResolvedRouterConfig {
    return this.runtime.config;
  }

  get quality(): QualityScorer {
    return this.runtime.quality;
  }

  subscribe(listener: RouterEventListener): () => void {
    return this.runtime.events.subscribe(listener);
  }

  registerStrategy(strategy: RoutingStrategy): this {
    this.runtime.registerStrategy(strategy);
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
    this.runtime.assertAlive();
    const strategies = [...this.runtime.strategies.keys()];
    const resolved =
      typeof config === 'string'
        ? parseRouterConfig(config, { ...options, strategies })
        : validateRouterConfig(config, { strategies, file: options.file });
    return applyConfig(this.runtime, resolved, false);
  }

  /** Reloads whenever the file changes; invalid versions are reported as `config-error` events and ignored. */
  async watchConfig(path: string, options: { debounceMs?: number } = {}): Promise<() => void> {
    const runtime = this.runtime;
    const stop = await watchRouterConfig(path, {
      debounceMs: options.debounceMs,
      strategies: [...runtime.strategies.keys()],
      onChange: (config) => {
        if (!runtime.disposed) applyConfig(runtime, config, false);
      },
      onError: (error) =>
        runtime.emit({
          type: 'config-error',
          time: runtime.clock.now(),
          error: describeError(error),
        }),
    });
    this.stopWatching.add(stop);
    return () => {
      this.stopWatching.delete(stop);
      stop();
    };
  }

  /**
   * The decision for a request, without running it: candidates ranked with their
   * scores, and those excluded with why. A dry run: round-robin does not advance.
   */
  route(request: RouterRequest): RoutingInfo {
    this.runtime.assertAlive();
    return planRequest(this.runtime, request, 'generate', true).routing;
  }

  /** Runs a request to completion. Any failure before the answer is complete falls back. */
  async generate(request: RouterRequest): Promise<RouterGenerateResult> {
    const runtime = this.runtime;
    const { hit, plan } = await lookupOrPlan(runtime, request, 'generate');
    if (hit) return { ...hit.result, routing: hit.routing };
    const scope = new RequestScope(runtime.clock, request.abortSignal, plan.timeouts.totalMs);
    try {
      const { value } = await tryCandidates(
        runtime,
        plan,
        scope,
        generateAttempt(runtime, plan, request),
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
    const runtime = this.runtime;
    const { hit, plan } = await lookupOrPlan(runtime, request, 'stream');
    if (hit) {
      const { metadata: _metadata, ...result } = hit.result;
      const routing = hit.routing;
      return {
        stream: replayAsStream(result, { start: { routing }, finish: { routing } }),
        routing,
        done: Promise.resolve(routing),
      };
    }
    const scope = new RequestScope(runtime.clock, request.abortSignal, plan.timeouts.totalMs);
    let committed: Committed;
    try {
      ({ value: committed } = await tryCandidates(
        runtime,
        plan,
        scope,
        commitStream(runtime, plan, request),
      ));
    } catch (error) {
      scope.close();
      throw error;
    }
    return forwardStream(runtime, plan, scope, committed);
  }

  /** Embeddings through the same routing, retries and fallbacks (models with the `embeddings` capability). */
  async embed(request: RouterEmbedRequest): Promise<RouterEmbedResult> {
    const runtime = this.runtime;
    runtime.assertAlive();
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
    const plan = planRequest(runtime, request, 'embed');
    const scope = new RequestScope(runtime.clock, request.abortSignal, plan.timeouts.totalMs);
    try {
      const { value } = await tryCandidates(
        runtime,
        plan,
        scope,
        embedAttempt(runtime, plan, scope, request),
      );
      return value;
    } finally {
      scope.close();
    }
  }

  /**
   * The router as a plain ModelV1 for one target (a route, alias, model id or `'auto'`),
   * for code that takes a model: `generate(router.asModel('chat'), options)`. Results
   * carry the routing info in `metadata.routing`. Its info is the union of the
   * candidates' capabilities and the largest context. Disposing it leaves the router.
   */
  asModel(target = 'auto', defaults: Omit<RouterRequestOptions, 'model'> = {}): ModelV1 {
    return routerAsModel(this, this.runtime, target, defaults);
  }

  /** A ModelEnsemble over this router: best-of-n, majority vote, first-to-finish. */
  ensemble(options: ModelEnsembleOptions): ModelEnsemble {
    return new ModelEnsemble(this, options);
  }

  /** Feedback on an answer's quality in [0, 1]; moves the model's quality score. */
  recordQuality(modelId: string, score: number): void {
    this.runtime.quality.record(modelId, score);
  }

  /**
   * Runs one health check of each model that is loaded (or remote): a 1-token
   * generate (or `healthProbe`). Results feed the circuit breakers.
   */
  checkHealth(ids?: string[]): Promise<HealthReport[]> {
    return checkHealth(this.runtime, ids);
  }

  /** Live numbers per model (in flight, TTFT and tokens/s percentiles, error rate, circuit), cache and budgets. */
  stats(): RouterStats {
    return routerStats(this.runtime);
  }

  /** Every name a request may use: models, routes and aliases (for an OpenAI `/v1/models`). */
  listModels(): RouterModelListing[] {
    return listModels(this.runtime);
  }

  /** Loads a model now (warm-up), or unloads one (when idle). */
  async load(modelId: string): Promise<void> {
    const runtime = this.runtime;
    runtime.assertAlive();
    if (!runtime.pool.has(modelId))
      throw new RouterError({
        code: 'model-not-found',
        message: `No model "${modelId}" is registered.`,
      });
    const lease = await runtime.pool.acquire(modelId);
    lease.release();
  }

  /**
   * Runs `use` with one loaded model (an id, an alias of one, or a route or `auto` when it
   * has a single model), loading it if needed; the model stays loaded until `use` settles.
   * For what needs the model itself rather than a routed generation: its tokenizer, its
   * info.
   */
  withModel<T>(name: string, use: (model: ModelV1, modelId: string) => Promise<T> | T): Promise<T> {
    return withModel(this.runtime, name, use);
  }

  unload(modelId: string): Promise<boolean> {
    return this.runtime.pool.unload(modelId, 'manual');
  }

  async dispose(): Promise<void> {
    const runtime = this.runtime;
    if (runtime.disposed) return;
    runtime.disposed = true;
    if (runtime.healthTimer !== undefined) runtime.clock.clearTimeout(runtime.healthTimer);
    for (const stop of this.stopWatching) stop();
    this.stopWatching.clear();
    await runtime.pool.disposeAll();
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
