/**
 * The router config: its TypeScript shape (what users write, in JSON, YAML or code) and
 * the zod schema that checks it, cross-references included (routes naming unknown
 * models, alias cycles, unknown strategies), each problem reported with its path.
 */
import type { ModelV1, ModelV1Capability } from '@llmr/core';
import { z } from 'zod';
import { parseMemorySize } from '../lifecycle/memory-size';

export type ModelFactory = () => ModelV1 | Promise<ModelV1>;

export interface RouterModelConfig {
  /** The id requests use to pin this model. Unique. */
  id: string;
  /** A local source for the core registry's loaders: `mock:random`, `./model.gguf`, `hf:org/repo`. */
  source?: string;
  /** A named provider from `createRouter({ providers })`, e.g. an OpenAI-compatible upstream. */
  provider?: string;
  /** The id sent to the provider; defaults to `id`. */
  providerModelId?: string;
  /**
   * Settings for the provider's factory (base URL, API key reference, timeouts, headers),
   * passed through unread: the router knows no provider, the factory checks them.
   */
  providerSettings?: Record<string, unknown>;
  /** In code only: a ready model (never unloaded) or a factory (loaded lazily, unloadable). */
  model?: ModelV1 | ModelFactory;
  /** Passed to the loader's doLoad. */
  loadOptions?: Record<string, unknown>;
  /** Overrides what the model declares (or says it before the model is loaded). */
  capabilities?: ModelV1Capability[];
  /** Overrides the model's context length in tokens; a request that cannot fit skips the model. */
  contextLength?: number;
  /** USD per 1M tokens. */
  pricing?: {
    /** USD per 1M prompt tokens. */
    input: number;
    /** USD per 1M completion tokens. */
    output: number;
  };
  /** Quality prior in [0, 1] (default 0.5). */
  quality?: number;
  /** Speed priors used until live samples exist. */
  speed?: {
    /** Expected time to first token, in milliseconds. */
    ttftMs?: number;
    /** Expected generation speed. */
    tokensPerSecond?: number;
  };
  /** Resident memory: bytes or `"4GB"`, `"512MiB"`. Default: estimated from the model's info. */
  memory?: number | string;
  /** Unload after this long idle; `'forever'` keeps it. Default: lifecycle.keepAliveMs. */
  keepAliveMs?: number | 'forever';
  /** For weighted-random (default 1). */
  weight?: number;
  /** Free-form labels for your own bookkeeping; routing does not read them. */
  tags?: string[];
}

export interface RouterBudgetConfig {
  /** USD that may be spent per window. */
  limitUsd: number;
  /** Sliding window length. */
  windowMs: number;
  /** `refuse` (error `budget-exceeded`, the default) or `downgrade` to cheaper models. */
  onExceeded?: 'refuse' | 'downgrade';
  /** Models to use once spent (default: the cheapest candidate of the route). */
  downgradeTo?: string[];
}

export interface RouterRetryConfig {
  /** Retries of the same model after a retryable failure before the first token (default 1). */
  maxRetries?: number;
  /** The first retry's delay before jitter (default 100). */
  baseDelayMs?: number;
  /** The longest delay between retries (default 2000). */
  maxDelayMs?: number;
  /** Each retry's delay is the previous one times this (default 2). */
  factor?: number;
  /** `full` (random in [0, delay], the default), `equal` (half fixed, half random) or `none`. */
  jitter?: 'full' | 'equal' | 'none';
  /** An upstream's Retry-After longer than this skips the retry and falls back instead (default 10000). */
  maxRetryAfterMs?: number;
}

export interface RouterTimeoutsConfig {
  /** A model that sends no token within this long fails over to the next candidate. Off unless set. */
  firstTokenMs?: number;
  /** The whole request, fallbacks included, is aborted after this long. Off unless set. */
  totalMs?: number;
}

export interface RouterRouteConfig {
  /** A built-in strategy or a registered custom one. Default: `fallback` when `fallback` is set, else the router's. */
  strategy?: string;
  /** Candidate model ids (default: every model). */
  models?: string[];
  /** An explicit fallback chain (the order the `fallback` strategy tries). */
  fallback?: string[];
  /** For weighted-random; overrides each model's weight. */
  weights?: Record<string, number>;
  /** A spending limit for requests through this route. */
  budget?: RouterBudgetConfig;
  /** Overrides the router's `timeouts` for this route. */
  timeouts?: RouterTimeoutsConfig;
  /** Overrides the router's `retry` for this route. */
  retry?: RouterRetryConfig;
  /** `false` disables the response cache for this route; `{ ttlMs }` overrides its TTL. */
  cache?:
    | boolean
    | {
        /** How long this route's cached answers live, in milliseconds. */
        ttlMs?: number;
      };
  /** At most this many distinct candidates are tried (default: all). */
  maxCandidates?: number;
}

/** One stage of a pipeline: a factory name from `createRouter({ stages })` and its options. */
export interface RouterStageConfig {
  /** A stage name registered with the router (by `createRouter({ stages })` or a plugin). */
  stage: string;
  /** Passed to the stage's factory, which checks them. */
  options?: Record<string, unknown>;
}

/**
 * Ordered middleware stages per route and per model. A request through a route runs the
 * route's stages (outermost) then the chosen model's.
 */
export interface RouterPipelineConfig {
  /** Route name -> its stages, outermost first. */
  routes?: Record<string, RouterStageConfig[]>;
  /** Model id -> its stages, run inside the route's. */
  models?: Record<string, RouterStageConfig[]>;
}

export interface RouterConfig {
  /** The models requests can be routed to: local sources, remote upstreams or (in code) instances. */
  models?: RouterModelConfig[];
  /** Route name -> how requests for that name pick among models. A request's `model` names a route, a model or an alias. */
  routes?: Record<string, RouterRouteConfig>;
  /** name -> model id, route name or another alias. */
  aliases?: Record<string, string>;
  /**
   * Plugin packages (names or paths) whose loaders, engines and strategies the host
   * (`llmr serve`) registers before building the router; the router itself ignores it.
   */
  plugins?: string[];
  /** The route `'auto'` uses (default: every model with `strategy`). */
  defaultRoute?: string;
  /** Strategy for `'auto'` without a default route, and for routes without one. Default `balanced`. */
  strategy?: string;
  /** Weights of the balanced strategy. */
  balancedWeights?: {
    /** Weight of the model's quality score (default 0.4). */
    quality?: number;
    /** Weight of cheapness (default 0.3). */
    cost?: number;
    /** Weight of measured speed (default 0.2). */
    speed?: number;
    /** Weight of spare capacity (default 0.1). */
    load?: number;
  };
  /** Retries of a model before falling back, for every route without its own. */
  retry?: RouterRetryConfig;
  /** Time limits for every route without its own. */
  timeouts?: RouterTimeoutsConfig;
  /** `false` disables circuit breaking. */
  circuitBreaker?:
    | {
        /** Consecutive failures that open a model's breaker, so it is skipped (default 5). */
        failureThreshold?: number;
        /** How long an open breaker waits before letting probes through (default 30000). */
        resetTimeoutMs?: number;
        /** Requests let through a half-open breaker to test the model (default 1). */
        halfOpenMaxProbes?: number;
      }
    | false;
  /** Periodic health checks of loaded and remote models; off unless set. */
  healthCheck?:
    | {
        /** Time between checks of each model. */
        intervalMs: number;
        /** A check that takes longer fails (default 10000). */
        timeoutMs?: number;
        /** The one-token prompt a check sends (default `ping`). */
        prompt?: string;
      }
    | false;
  /**
   * A watchdog per model: a generation silent for `stallMs` is stopped; `failureThreshold`
   * stalls or failures in a row mark the model unhealthy, and it is routed around,
   * reloaded with backoff from `reloadDelayMs` (doubling up to `maxReloadDelayMs`) and
   * probed until it recovers. Off unless set.
   */
  selfHealing?: {
    /** A generation with no output for this long is stopped (default 30000). */
    stallMs?: number;
    /** Stalls or failures in a row that mark the model unhealthy (default 3). */
    failureThreshold?: number;
    /** First wait before reloading an unhealthy model (default 1000). */
    reloadDelayMs?: number;
    /** The longest wait between reloads (default 60000). */
    maxReloadDelayMs?: number;
  };
  /** When local models are loaded and unloaded. */
  lifecycle?: {
    /** Loaded local models at most; the least recently used idle one is unloaded first. */
    maxLoadedModels?: number;
    /** Memory budget over loaded local models: bytes or `"16GB"`. */
    maxMemory?: number | string;
    /** Default idle time before a local model is unloaded (default 5 minutes). */
    keepAliveMs?: number | 'forever';
  };
  /** The response cache: identical requests are answered from it (off unless enabled). */
  cache?: {
    /** Turns the in-memory response cache on. */
    enabled?: boolean;
    /** How long a cached answer lives, in milliseconds (default 300000). */
    ttlMs?: number;
    /** Cached answers at most; the least recently used go first (default 1000). */
    maxEntries?: number;
    /** Size of all cached answers at most: bytes or `"64MB"` (default 64 MiB). */
    maxBytes?: number | string;
  };
  /** Middleware stages (guardrails, prompt shaping, structured output) per route and per model. */
  pipeline?: RouterPipelineConfig;
}

const nonNegative = z.number().finite().nonnegative();
const positiveInt = z.number().int().positive();
const memorySize = z
  .union([nonNegative, z.string()])
  .refine((value) => parseMemorySize(value) !== undefined, {
    message: 'must be a number of bytes or a size like "4GB" or "512MiB"',
  });
const keepAlive = z.union([nonNegative, z.literal('forever')]);
const capability = z.enum([
  'chat',
  'completion',
  'embeddings',
  'tools',
  'json-schema',
  'grammar',
  'logprobs',
]);

const isModel = (value: unknown) =>
  typeof value === 'function' ||
  (value != null &&
    typeof value === 'object' &&
    (value as { specificationVersion?: unknown }).specificationVersion === 'v1');

const modelSchema = z
  .strictObject({
    id: z.string().min(1).regex(/^\S+$/, 'must not contain whitespace'),
    source: z.string().min(1).optional(),
    provider: z.string().min(1).optional(),
    providerModelId: z.string().min(1).optional(),
    providerSettings: z.record(z.string(), z.unknown()).optional(),
    model: z
      .custom<ModelV1 | ModelFactory>(isModel, 'must be a ModelV1 or a function returning one')
      .optional(),
    loadOptions: z.record(z.string(), z.unknown()).optional(),
    capabilities: z.array(capability).optional(),
    contextLength: positiveInt.optional(),
    pricing: z.strictObject({ input: nonNegative, output: nonNegative }).optional(),
    quality: z.number().min(0).max(1).optional(),
    speed: z
      .strictObject({
        ttftMs: nonNegative.optional(),
        tokensPerSecond: z.number().positive().optional(),
      })
      .optional(),
    memory: memorySize.optional(),
    keepAliveMs: keepAlive.optional(),
    weight: nonNegative.optional(),
    tags: z.array(z.string()).optional(),
  })
  .superRefine((model, context) => {
    const kinds = [model.source, model.provider, model.model].filter(
      (value) => value !== undefined,
    ).length;
    if (kinds !== 1) {
      context.addIssue({
        code: 'custom',
        message: `needs exactly one of \`source\` (a local model), \`provider\` (a remote upstream) or \`model\` (an instance); got ${kinds}`,
      });
    }
    if (model.provider === undefined && model.providerSettings !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['providerSettings'],
        message: 'is only read for a remote model: set `provider` too, or remove it',
      });
    }
  });

const retrySchema = z.strictObject({
  maxRetries: z.number().int().nonnegative().optional(),
  baseDelayMs: nonNegative.optional(),
  maxDelayMs: nonNegative.optional(),
  factor: z.number().min(1).optional(),
  jitter: z.enum(['full', 'equal', 'none']).optional(),
  maxRetryAfterMs: nonNegative.optional(),
});

const timeoutsSchema = z.strictObject({
  firstTokenMs: z.number().positive().optional(),
  totalMs: z.number().positive().optional(),
});

const routeSchema = z.strictObject({
  strategy: z.string().min(1).optional(),
  models: z.array(z.string()).min(1).optional(),
  fallback: z.array(z.string()).min(1).optional(),
  weights: z.record(z.string(), nonNegative).optional(),
  budget: z
    .strictObject({
      limitUsd: nonNegative,
      windowMs: z.number().positive(),
      onExceeded: z.enum(['refuse', 'downgrade']).optional(),
      downgradeTo: z.array(z.string()).min(1).optional(),
    })
    .optional(),
  timeouts: timeoutsSchema.optional(),
  retry: retrySchema.optional(),
  cache: z
    .union([z.boolean(), z.strictObject({ ttlMs: z.number().positive().optional() })])
    .optional(),
  maxCandidates: positiveInt.optional(),
});

export const builtinStrategyNames = [
  'balanced',
  'quality-first',
  'cost-optimized',
  'speed-priority',
  'least-loaded',
  'round-robin',
  'weighted-random',
  'fallback',
] as const;

/**
 * The schema, checking strategy names against the built-ins plus `extraStrategies`, and
 * pipeline stage names against `stageNames` (the router's registry of stage factories).
 */
export function createRouterConfigSchema(
  extraStrategies: readonly string[] = [],
  stageNames: readonly string[] = [],
) {
  const strategies = new Set<string>([...builtinStrategyNames, ...extraStrategies]);
  const strategyName = z.string().refine((name) => strategies.has(name), {
    message: `must be one of ${[...strategies].join(', ')} (or register a custom strategy)`,
  });
  const stages = new Set(stageNames);
  const stageList = z.array(
    z.strictObject({
      stage: z.string().refine((name) => stages.has(name), {
        message: stages.size
          ? `unknown stage; registered stages: ${[...stages].join(', ')} (register others in createRouter({ stages }))`
          : 'unknown stage: no stages are registered; pass their factories in createRouter({ stages })',
      }),
      options: z.record(z.string(), z.unknown()).optional(),
    }),
  );
  return z
    .strictObject({
      models: z.array(modelSchema).default([]),
      routes: z
        .record(z.string().min(1), routeSchema.extend({ strategy: strategyName.optional() }))
        .default({}),
      aliases: z.record(z.string().min(1), z.string().min(1)).default({}),
      plugins: z.array(z.string().min(1)).optional(),
      defaultRoute: z.string().min(1).optional(),
      // The server's gateway section (tenants, keys, budgets) shares the file; @llmr/gateway
      // checks it, the router only lets it through.
      gateway: z.unknown().optional(),
      // The server's shared state (`redis: <url>` or `{ url, failMode, keyPrefix }`); the
      // server checks it, the router only lets it through.
      redis: z.unknown().optional(),
      strategy: strategyName.optional(),
      balancedWeights: z
        .strictObject({
          quality: nonNegative.optional(),
          cost: nonNegative.optional(),
          speed: nonNegative.optional(),
          load: nonNegative.optional(),
        })
        .optional(),
      retry: retrySchema.optional(),
      timeouts: timeoutsSchema.optional(),
      circuitBreaker: z
        .union([
          z.literal(false),
          z.strictObject({
            failureThreshold: positiveInt.optional(),
            resetTimeoutMs: nonNegative.optional(),
            halfOpenMaxProbes: positiveInt.optional(),
          }),
        ])
        .optional(),
      healthCheck: z
        .union([
          z.literal(false),
          z.strictObject({
            intervalMs: z.number().positive(),
            timeoutMs: z.number().positive().optional(),
            prompt: z.string().min(1).optional(),
          }),
        ])
        .optional(),
      selfHealing: z
        .strictObject({
          stallMs: z.number().positive().optional(),
          failureThreshold: positiveInt.optional(),
          reloadDelayMs: z.number().positive().optional(),
          maxReloadDelayMs: z.number().positive().optional(),
        })
        .optional(),
      lifecycle: z
        .strictObject({
          maxLoadedModels: positiveInt.optional(),
          maxMemory: memorySize.optional(),
          keepAliveMs: keepAlive.optional(),
        })
        .optional(),
      cache: z
        .strictObject({
          enabled: z.boolean().optional(),
          ttlMs: z.number().positive().optional(),
          maxEntries: positiveInt.optional(),
          maxBytes: memorySize.optional(),
        })
        .optional(),
      pipeline: z
        .strictObject({
          routes: z.record(z.string(), stageList).optional(),
          models: z.record(z.string(), stageList).optional(),
        })
        .optional(),
    })
    .superRefine((config, context) => {
      const issue = (path: (string | number)[], message: string) =>
        context.addIssue({ code: 'custom', path, message });
      const modelIds = new Set<string>();
      config.models.forEach((model, index) => {
        if (modelIds.has(model.id))
          issue(['models', index, 'id'], `duplicate model id "${model.id}"`);
        modelIds.add(model.id);
      });
      const routeNames = new Set(Object.keys(config.routes));
      const known = (id: string) => modelIds.has(id);
      for (const [name, route] of Object.entries(config.routes)) {
        if (modelIds.has(name))
          issue(['routes', name], `route "${name}" has the same name as a model; rename one`);
        route.models?.forEach((id, index) => {
          if (!known(id)) issue(['routes', name, 'models', index], `unknown model "${id}"`);
        });
        route.fallback?.forEach((id, index) => {
          if (!known(id)) issue(['routes', name, 'fallback', index], `unknown model "${id}"`);
        });
        for (const id of Object.keys(route.weights ?? {})) {
          if (!known(id)) issue(['routes', name, 'weights', id], `unknown model "${id}"`);
        }
        route.budget?.downgradeTo?.forEach((id, index) => {
          if (!known(id))
            issue(['routes', name, 'budget', 'downgradeTo', index], `unknown model "${id}"`);
        });
      }
      for (const [alias, target] of Object.entries(config.aliases)) {
        if (alias === 'auto') issue(['aliases', alias], '"auto" is reserved');
        if (modelIds.has(alias) || routeNames.has(alias))
          issue(['aliases', alias], `alias "${alias}" has the same name as a model or route`);
        // Follow the chain: it must end at a model or a route, without a cycle.
        const seen = new Set([alias]);
        let current = target;
        while (config.aliases[current] !== undefined && !seen.has(current)) {
          seen.add(current);
          current = config.aliases[current]!;
        }
        if (seen.has(current) && config.aliases[current] !== undefined)
          issue(['aliases', alias], `alias cycle: ${[...seen, current].join(' -> ')}`);
        else if (current !== 'auto' && !modelIds.has(current) && !routeNames.has(current)) {
          issue(['aliases', alias], `"${target}" is not a model, route or alias`);
        }
      }
      for (const name of Object.keys(config.pipeline?.routes ?? {})) {
        if (!routeNames.has(name)) issue(['pipeline', 'routes', name], `unknown route "${name}"`);
      }
      for (const id of Object.keys(config.pipeline?.models ?? {})) {
        if (!known(id)) issue(['pipeline', 'models', id], `unknown model "${id}"`);
      }
      if (config.defaultRoute !== undefined && !routeNames.has(config.defaultRoute)) {
        issue(['defaultRoute'], `unknown route "${config.defaultRoute}"`);
      }
    });
}

export type ResolvedRouterConfig = z.output<ReturnType<typeof createRouterConfigSchema>>;
export type ResolvedModelConfig = ResolvedRouterConfig['models'][number];
export type ResolvedRouteConfig = ResolvedRouterConfig['routes'][string];
