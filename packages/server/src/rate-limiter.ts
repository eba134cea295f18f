/**
 * Per-key limits on requests and tokens per minute, over a SharedState (memory, or Redis
 * shared by replicas). A request reserves its prompt estimate plus `max_tokens` when it
 * is admitted, and settles to what it really used when it ends (an aborted stream is
 * charged what it generated), so concurrent requests cannot overshoot the token limit.
 * Every answer carries OpenAI's `x-ratelimit-*` headers.
 */
import { randomUUID } from 'node:crypto';
import type { RateLimitDecision, RateLimits, SharedState } from './shared-state/shared-state';

export type { RateLimits } from './shared-state/shared-state';

export interface Admission {
  allowed: boolean;
  decision?: RateLimitDecision;
  /** `x-ratelimit-*` headers (and `retry-after` when refused). */
  headers: Record<string, string>;
  /** Seconds until a refused request may succeed. */
  retryAfterSeconds?: number;
  reason?: string;
  /** Replaces the reservation with the tokens really used. Idempotent; never throws. */
  settle(tokens: number): void;
}

/** OpenAI's reset format: `1s`, `6m0s`, `120ms`. */
export function formatReset(milliseconds: number): string {
  const ms = Math.max(0, Math.ceil(milliseconds));
  if (ms < 1000) return `${ms}ms`;
  const seconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60}s` : `${seconds}s`;
}

function rateLimitHeaders(limits: RateLimits, decision: RateLimitDecision) {
  const headers: Record<string, string> = {};
  if (limits.requestsPerMinute !== undefined) {
    headers['x-ratelimit-limit-requests'] = String(limits.requestsPerMinute);
    headers['x-ratelimit-remaining-requests'] = String(
      Math.max(0, limits.requestsPerMinute - decision.requestsUsed),
    );
    headers['x-ratelimit-reset-requests'] = formatReset(decision.resetRequestsMs);
  }
  if (limits.tokensPerMinute !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(limits.tokensPerMinute);
    headers['x-ratelimit-remaining-tokens'] = String(
      Math.max(0, limits.tokensPerMinute - decision.tokensUsed),
    );
    headers['x-ratelimit-reset-tokens'] = formatReset(decision.resetTokensMs);
  }
  return headers;
}

export function createRateLimiter(
  limits: RateLimits,
  state: SharedState,
  onSettleError: (error: unknown) => void = () => {},
) {
  const enabled = limits.requestsPerMinute !== undefined || limits.tokensPerMinute !== undefined;
  const unlimited: Admission = { allowed: true, headers: {}, settle: () => {} };
  return {
    enabled,
    /** Counts one request and reserves `tokens`, unless a limit refuses. */
    async admit(client: string, tokens: number): Promise<Admission> {
      if (!enabled) return unlimited;
      const id = randomUUID();
      const decision = await state.reserve({ key: client, id, tokens, limits });
      const headers = rateLimitHeaders(limits, decision);
      if (decision.allowed) {
        let settled = false;
        return {
          allowed: true,
          decision,
          headers,
          settle(used) {
            if (settled) return;
            settled = true;
            state.settle(client, id, used).catch(onSettleError);
          },
        };
      }
      const tokensRefused = decision.exceeded === 'tokens';
      const retryAfterSeconds = Math.max(
        1,
        Math.ceil((tokensRefused ? decision.resetTokensMs : decision.resetRequestsMs) / 1000),
      );
      headers['retry-after'] = String(retryAfterSeconds);
      return {
        allowed: false,
        decision,
        headers,
        retryAfterSeconds,
        reason: tokensRefused
          ? `Rate limit reached: ${limits.tokensPerMinute} tokens per minute (used ${decision.tokensUsed}, this request needs ${tokens}: its prompt plus max_tokens).`
          : `Rate limit reached: ${limits.requestsPerMinute} requests per minute.`,
        settle: () => {},
      };
    },
  };
}
