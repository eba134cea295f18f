/**
 * State that replicas of one server share: per-key request and token limits, circuit
 * breakers that one replica opened, and a small key-value store with expiry (sticky
 * assignments, health). One process keeps it in memory; several point at one Redis.
 */
export interface RateLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** What one admission asks for: a request, and tokens reserved until it settles. */
export interface ReserveRequest {
  /** Rate-limit identity (`key:<id>` or an IP). */
  key: string;
  /** Unique per request; names the reservation that `settle` adjusts. */
  id: string;
  /** Tokens held against the token limit until the request settles. */
  tokens: number;
  limits: RateLimits;
}

/** The answer, with what OpenAI's `x-ratelimit-*` headers report. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Which limit refused. */
  exceeded?: 'requests' | 'tokens';
  /** Requests in the window after this one (or as it stands, when refused). */
  requestsUsed: number;
  /** Tokens held or charged in the window after this one. */
  tokensUsed: number;
  /** Milliseconds until the oldest counted request leaves the window. */
  resetRequestsMs: number;
  /** Milliseconds until the oldest counted tokens leave the window. */
  resetTokensMs: number;
}

export interface SharedStateStatus {
  /** `memory`: one process; `redis`: shared; `degraded`: Redis configured but unreachable. */
  mode: 'memory' | 'redis' | 'degraded';
  /** Why it is degraded. */
  reason?: string;
}

export interface SharedState {
  readonly name: string;
  /** Counts one request and reserves its tokens, atomically, unless a limit refuses. */
  reserve(request: ReserveRequest): Promise<RateLimitDecision>;
  /** Replaces a reservation with the tokens really used (adds them if it has expired). */
  settle(key: string, id: string, tokens: number): Promise<void>;
  /** A value with an expiry, shared across replicas (circuits, health, sticky assignments). */
  get(key: string): Promise<string | undefined>;
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * The value `key` holds, its expiry renewed to `ttlMs`; if it holds none, `value`, stored.
   * Atomic across replicas: of two claims at once, both get the first one's value.
   */
  claim(key: string, value: string, ttlMs: number): Promise<string>;
  delete(key: string): Promise<void>;
  status(): SharedStateStatus;
  close(): Promise<void>;
}

/** The rate-limit window: one minute, as RPM and TPM say. */
export const RATE_WINDOW_MS = 60_000;
