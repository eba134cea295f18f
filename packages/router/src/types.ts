/**
 * The router's public shapes: what a request looks like, and the routing information
 * attached to every result, stream and error. @llmr/server builds on exactly these.
 */
import type {
  ModelV1CallOptions,
  ModelV1Capability,
  ModelV1EmbedResult,
  ModelV1GenerateResult,
  ModelV1StreamPart,
  ModelV1Usage,
} from '@llmr/core';
import type { CircuitState } from './resilience/circuit-breaker';

/** Router-only fields of a request; everything else is passed to the model untouched. */
export interface RouterRequestOptions {
  /**
   * What to run: a model id (pinned: only that model, with retries), an alias, a route
   * name, or `'auto'` (the default route, or every model). Default `'auto'`.
   */
  model?: string;
  /** Overrides the route's strategy for this request (a built-in or registered name). */
  strategy?: string;
  /** `false` skips the response cache (no read, no write) for this request. */
  cache?: boolean;
  /** Per-request deadlines; override the route's and the router's. */
  timeouts?: RouterTimeouts;
  /** Expected output tokens for cost and speed estimates (default: maxTokens, else 256). */
  expectedOutputTokens?: number;
  /** Correlates events and results; generated when missing. */
  requestId?: string;
}

export type RouterRequest = ModelV1CallOptions & RouterRequestOptions;

export interface RouterEmbedRequest {
  model?: string;
  values: string[];
  abortSignal?: AbortSignal;
  strategy?: string;
  requestId?: string;
  timeouts?: Pick<RouterTimeouts, 'totalMs'>;
}

export interface RouterTimeouts {
  /** Fail an attempt (and fall back) when no first text arrives within this time. */
  firstTokenMs?: number;
  /** Deadline for the whole request, fallbacks included. After the first token: an `error` part. */
  totalMs?: number;
}

/** One candidate as a strategy scored it. Higher score is better; candidates are sorted. */
export interface RankedCandidate {
  modelId: string;
  score: number;
  /** The inputs of the score, e.g. `{ quality: 0.8, costUsd: 0.0004, ttftMs: 120 }`. */
  details: Record<string, number | string | boolean>;
}

export interface ExcludedCandidate {
  modelId: string;
  /** `capability:tools`, `context-length`, `circuit-open`, `not-in-route`, ... */
  reason: string;
  detail?: string;
}

export interface AttemptError {
  name: string;
  code?: string;
  message: string;
  isRetryable: boolean;
}

export interface AttemptInfo {
  modelId: string;
  /** 0 for the first try of this model, 1.. for retries. */
  retry: number;
  outcome: 'success' | 'error' | 'skipped';
  /** Time from the attempt's start until it succeeded (first token) or failed. */
  durationMs: number;
  /** Wait before this attempt (backoff, Retry-After). */
  delayMs?: number;
  error?: AttemptError;
  /** Why it was skipped (circuit opened meanwhile, Retry-After too long). */
  reason?: string;
}

export interface RoutingInfo {
  requestId: string;
  /** What the request asked for (`auto`, an alias, a route, a model id). */
  requested: string;
  /** How `requested` resolved: the chain of aliases, then the route or model. */
  resolution: { kind: 'auto' | 'route' | 'model'; target: string; aliases: string[] };
  route?: string;
  strategy: string;
  /** The model that served the request; undefined when none did. */
  modelId?: string;
  /** Every candidate that passed the filters, best first, with the strategy's scores. */
  candidates: RankedCandidate[];
  excluded: ExcludedCandidate[];
  /** Everything tried, in order, including failures before the one that served. */
  attempts: AttemptInfo[];
  /** Served from the response cache. */
  cached: boolean;
  /** Set when a spent budget moved the request to cheaper models. */
  downgraded?: { reason: 'budget-exceeded'; route: string; spentUsd: number; limitUsd: number };
  promptTokens: number;
  /** Filled in when the request finished. */
  usage?: ModelV1Usage;
  costUsd?: number;
  timings?: { startedAt: number; firstTokenMs?: number; totalMs?: number };
}

export interface RouterGenerateResult extends ModelV1GenerateResult {
  routing: RoutingInfo;
}

export interface RouterStreamResult {
  /**
   * Parts as a model streams them: `stream-start` (metadata.routing: who serves it),
   * deltas, `usage`, `finish` (metadata.routing: the final RoutingInfo with usage and
   * cost) or one `error` part after the first token. Never duplicated text.
   */
  stream: ReadableStream<ModelV1StreamPart>;
  /** The decision at the time the first token arrived. */
  routing: RoutingInfo;
  /** Resolves (never rejects) with the final RoutingInfo when the stream ends. */
  done: Promise<RoutingInfo & { error?: unknown }>;
}

export interface RouterEmbedResult extends ModelV1EmbedResult {
  routing: RoutingInfo;
}

/** What a strategy sees about one candidate. */
export interface CandidateView {
  modelId: string;
  /** Position in the route's model list (or the router's), for stable tie-breaking. */
  order: number;
  capabilities: readonly ModelV1Capability[] | undefined;
  contextLength: number | undefined;
  pricing?: { input: number; output: number };
  /** Quality in [0, 1]: the prior from config, adjusted by feedback and error rate. */
  quality: number;
  /** Estimated USD for this request (prompt tokens in, expected tokens out). */
  estimatedCostUsd: number;
  weight: number;
  inFlight: number;
  loaded: boolean;
  circuit: CircuitState;
  errorRate: number;
  /** Live medians, or the config's priors, or undefined when unknown. */
  ttftMs?: number;
  tokensPerSecond?: number;
  /** How many live samples back ttftMs/tokensPerSecond (0: priors only). */
  samples: number;
}

export interface StrategyContext {
  request: RouterRequest | RouterEmbedRequest;
  route?: string;
  promptTokens: number;
  expectedOutputTokens: number;
  /** Seedable randomness: strategies must use this, never Math.random. */
  random: () => number;
  now: number;
  /** The route's settings a strategy may read (weights, fallback order). */
  routeSettings: { weights?: Record<string, number>; fallback?: string[] };
  /** Per-strategy state that survives between requests (round-robin counters). */
  state: Map<string, unknown>;
}

/** One routing strategy: ranks the candidates that passed the capability filters. */
export interface RoutingStrategy {
  readonly name: string;
  /**
   * True when `rank` reads nothing but its candidates and the context's `promptTokens`,
   * `expectedOutputTokens` and `routeSettings` (no randomness, clock or state), and
   * mutates neither. The router then ranks once per state change and reuses the result
   * for every decision until a model's load, stats, health or the config change.
   */
  readonly pure?: boolean;
  /**
   * For a pure strategy: every candidate field `rank` reads. When a request starts or ends
   * or a model records an outcome or latency and none of these fields changed (e.g.
   * `inFlight` for quality-first), the router keeps the ranking it has. Omitted: any
   * change ranks again.
   */
  readonly reads?: readonly (keyof CandidateView)[];
  /** Returns every candidate, best first, each with a score and its inputs. */
  rank(candidates: readonly CandidateView[], context: StrategyContext): RankedCandidate[];
  /**
   * Optional fast path beside `rank`: the best candidate without ranking the rest. Most
   * requests only ever run the first candidate, so the router calls `select` when a
   * strategy has it and asks for the full ranking only when something needs it (a
   * fallback, `RoutingInfo.candidates`, a `route` event listener that reads them).
   *
   * `best` must be the index in `candidates` of what `rank(candidates, context)[0]` would
   * be, ties broken the same way. A strategy that reads randomness or state (not `pure`)
   * draws and advances them here, once, and returns `rank`: the ranking those same draws
   * give, called at most once and later (it must read neither again). A pure strategy may
   * omit `rank`: the router then calls `rank(candidates, context)` when needed.
   */
  select?(candidates: readonly CandidateView[], context: StrategyContext): StrategySelection;
}

/** What a strategy's `select` returns: the winner now, the full ranking on demand. */
export interface StrategySelection {
  /** Index in the candidates of the best one (what the ranking puts first). */
  best: number;
  /** The full ranking, best first; required unless the strategy is `pure`. */
  rank?: () => RankedCandidate[];
}

export type StreamPart = ModelV1StreamPart;
