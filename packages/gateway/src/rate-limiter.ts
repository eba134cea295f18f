/**
 * Per-minute request and token limits and parallel-request caps, per key and per tenant.
 * This one keeps them in this process's memory (a sliding 60-second window), so each
 * replica enforces them on its own share of traffic; `SharedRateLimiter` counts the
 * per-minute limits in a store replicas share. Budgets, which must hold across replicas
 * whatever the limiter, are counted in the database.
 */
import { GatewayRateLimitError } from './gateway-errors';
import type { Policy } from './policy';

export const RATE_WINDOW_MS = 60_000;

interface Window {
  /** Admission times, oldest first. */
  requests: number[];
  /** [time, tokens] charged, oldest first. */
  tokens: Array<[number, number]>;
  inFlight: number;
}

export interface RateSubject {
  kind: 'key' | 'tenant';
  id: string;
  policy: Policy;
}

/** One admitted request's hold on the limits. */
export interface RateTicket {
  /** The request finished: frees its parallel slot and counts its tokens. Once only. */
  release(tokens: number): void;
}

/** Counts requests against key and tenant limits; throws GatewayRateLimitError to refuse. */
export interface GatewayRateLimiter {
  /** Checks every subject, then counts the request against all of them. */
  admit(subjects: readonly RateSubject[]): Promise<RateTicket>;
}

export class RateLimiter implements GatewayRateLimiter {
  private readonly windows = new Map<string, Window>();
  constructor(private readonly now: () => number) {}

  private window(subject: RateSubject): Window {
    const name = `${subject.kind}:${subject.id}`;
    let window = this.windows.get(name);
    if (!window) {
      window = { requests: [], tokens: [], inFlight: 0 };
      this.windows.set(name, window);
    }
    const cutoff = this.now() - RATE_WINDOW_MS;
    while (window.requests.length > 0 && (window.requests[0] as number) <= cutoff)
      window.requests.shift();
    while (window.tokens.length > 0 && (window.tokens[0] as [number, number])[0] <= cutoff)
      window.tokens.shift();
    return window;
  }

  /** All or nothing: a refusal by one subject counts against none. */
  async admit(subjects: readonly RateSubject[]): Promise<RateTicket> {
    const now = this.now();
    const windows = subjects.map((subject) => ({ subject, window: this.window(subject) }));
    for (const { subject, window } of windows) {
      const { requestsPerMinute, tokensPerMinute, maxParallel } = subject.policy;
      if (requestsPerMinute !== undefined && window.requests.length >= requestsPerMinute) {
        throw requestLimitError(subject, (window.requests[0] ?? now) + RATE_WINDOW_MS - now);
      }
      if (tokensPerMinute !== undefined) {
        const used = window.tokens.reduce((sum, [, tokens]) => sum + tokens, 0);
        if (used >= tokensPerMinute) {
          throw tokenLimitError(
            subject,
            used,
            (window.tokens[0]?.[0] ?? now) + RATE_WINDOW_MS - now,
          );
        }
      }
      if (maxParallel !== undefined && window.inFlight >= maxParallel) {
        throw new GatewayRateLimitError({
          limit: 'max-parallel',
          subject: subject.kind,
          message: `The ${subject.kind} already has ${window.inFlight} requests running, its maximum (${subject.kind} ${subject.id}). Retry when one finishes.`,
          retryAfterSeconds: 1,
        });
      }
    }
    for (const { window } of windows) {
      window.requests.push(now);
      window.inFlight += 1;
    }
    let released = false;
    return {
      release: (tokens) => {
        if (released) return;
        released = true;
        this.release(subjects, tokens);
      },
    };
  }

  private release(subjects: readonly RateSubject[], tokens: number): void {
    const now = this.now();
    for (const subject of subjects) {
      const window = this.window(subject);
      window.inFlight = Math.max(0, window.inFlight - 1);
      if (tokens > 0) window.tokens.push([now, tokens]);
    }
  }
}

export function requestLimitError(subject: RateSubject, retryMs: number): GatewayRateLimitError {
  return new GatewayRateLimitError({
    limit: 'requests-per-minute',
    subject: subject.kind,
    message: `The ${subject.kind}'s limit of ${subject.policy.requestsPerMinute} requests per minute is reached (${subject.kind} ${subject.id}). Retry in ${seconds(retryMs)} s.`,
    retryAfterSeconds: seconds(retryMs),
  });
}

export function tokenLimitError(
  subject: RateSubject,
  used: number,
  retryMs: number,
): GatewayRateLimitError {
  return new GatewayRateLimitError({
    limit: 'tokens-per-minute',
    subject: subject.kind,
    message: `The ${subject.kind}'s limit of ${subject.policy.tokensPerMinute} tokens per minute is used up (${used} used; ${subject.kind} ${subject.id}). Retry in ${seconds(retryMs)} s.`,
    retryAfterSeconds: seconds(retryMs),
  });
}

function seconds(milliseconds: number): number {
  return Math.max(1, Math.ceil(milliseconds / 1000));
}
