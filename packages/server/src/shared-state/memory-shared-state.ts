/**
 * SharedState in one process: a sliding-window log per key. Keys idle for a whole window
 * are swept, so a stream of one-off clients (every IP on the internet) cannot grow memory
 * without bound.
 */
import {
  RATE_WINDOW_MS,
  type RateLimitDecision,
  type ReserveRequest,
  type SharedState,
} from './shared-state';

interface Window {
  /** Request times, oldest first. */
  requests: number[];
  /** Reservation id -> time and tokens, in insertion (time) order. */
  tokens: Map<string, { at: number; count: number }>;
  tokensUsed: number;
  lastUsed: number;
}

export function createMemorySharedState(now: () => number = Date.now): SharedState {
  const windows = new Map<string, Window>();
  const values = new Map<string, { value: string; expiresAt: number }>();
  let lastSweep = now();

  const sweep = (time: number) => {
    if (time - lastSweep < RATE_WINDOW_MS) return;
    lastSweep = time;
    for (const [key, window] of windows)
      if (window.lastUsed <= time - RATE_WINDOW_MS) windows.delete(key);
    for (const [key, entry] of values) if (entry.expiresAt <= time) values.delete(key);
  };

  const windowOf = (key: string, time: number): Window => {
    let window = windows.get(key);
    if (!window) {
      window = { requests: [], tokens: new Map(), tokensUsed: 0, lastUsed: time };
      windows.set(key, window);
    }
    const start = time - RATE_WINDOW_MS;
    let expired = 0;
    while (expired < window.requests.length && window.requests[expired]! <= start) expired++;
    if (expired > 0) window.requests.splice(0, expired);
    for (const [id, entry] of window.tokens) {
      if (entry.at > start) break;
      window.tokensUsed -= entry.count;
      window.tokens.delete(id);
    }
    window.lastUsed = time;
    return window;
  };

  const decide = (
    window: Window,
    time: number,
    allowed: boolean,
    exceeded?: 'requests' | 'tokens',
  ) => {
    const oldestTokens = window.tokens.values().next().value;
    const decision: RateLimitDecision = {
      allowed,
      requestsUsed: window.requests.length,
      tokensUsed: window.tokensUsed,
      resetRequestsMs: window.requests.length > 0 ? window.requests[0]! + RATE_WINDOW_MS - time : 0,
      resetTokensMs: oldestTokens ? oldestTokens.at + RATE_WINDOW_MS - time : 0,
    };
    if (exceeded) decision.exceeded = exceeded;
    return decision;
  };

  const getValue = (key: string) => {
    const entry = values.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      values.delete(key);
      return undefined;
    }
    return entry.value;
  };

  return {
    name: 'memory',
    async reserve({ key, id, tokens, limits }: ReserveRequest) {
      const time = now();
      sweep(time);
      const window = windowOf(key, time);
      const { requestsPerMinute: rpm, tokensPerMinute: tpm } = limits;
      if (rpm !== undefined && window.requests.length >= rpm)
        return decide(window, time, false, 'requests');
      if (tpm !== undefined && window.tokensUsed + tokens > tpm)
        return decide(window, time, false, 'tokens');
      window.requests.push(time);
      window.tokens.set(id, { at: time, count: tokens });
      window.tokensUsed += tokens;
      return decide(window, time, true);
    },
    async settle(key, id, tokens) {
      const time = now();
      const window = windowOf(key, time);
      const entry = window.tokens.get(id);
      if (entry) {
        window.tokensUsed += tokens - entry.count;
        entry.count = tokens;
      } else if (tokens > 0) {
        window.tokens.set(id, { at: time, count: tokens });
        window.tokensUsed += tokens;
      }
    },
    async get(key) {
      return getValue(key);
    },
    async getMany(keys) {
      return keys.map(getValue);
    },
    async set(key, value, ttlMs) {
      values.set(key, { value, expiresAt: now() + ttlMs });
    },
    async claim(key, value, ttlMs) {
      const held = getValue(key) ?? value;
      values.set(key, { value: held, expiresAt: now() + ttlMs });
      return held;
    },
    async delete(key) {
      values.delete(key);
    },
    status: () => ({ mode: 'memory' }),
    async close() {
      windows.clear();
      values.clear();
    },
  };
}
