/**
 * Per-minute request and token limits and parallel-request caps, per key and per tenant.
 * They live in this process's memory (a sliding 60-second window), so each replica
 * enforces them on its own share of traffic; budgets, which must hold across replicas,
 * are counted in the database instead.
 */
import { GatewayRateLimitError } from './gateway-errors';
import type { Policy } from './policy';

const WINDOW_MS = 60_000;

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

export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  constructor(private readonly now: () => number) {}

  private window(subject: RateSubject): Window {
    const name = `${subject.kind}:${subject.id}`;
    let window = this.windows.get(name);
    if (!window) {
      window = { requests: [], tokens: [], inFlight: 0 };
      this.windows.set(name, window);
    }
    const cutoff = this.now() - WINDOW_MS;
    while (window.requests.length > 0 && (window.requests[0] as number) <= cutoff)
      window.requests.shift();
    while (window.tokens.length > 0 && (window.tokens[0] as [number, number])[0] <= cutoff)
      window.tokens.shift();
    return window;
  }

  /** Checks every subject first, then counts the request against all of them (all or nothing). */
  admit(subjects: readonly RateSubject[]): void {
    const now = this.now();
    const windows = subjects.map((subject) => ({ subject, window: this.window(subject) }));
    for (const { subject, window } of windows) {
      const { requestsPerMinute, tokensPerMinute, maxParallel } = subject.policy;
      if (requestsPerMinute !== undefined && window.requests.length >= requestsPerMinute) {
        const retry = (window.requests[0] ?? now) + WINDOW_MS - now;
        throw new GatewayRateLimitError({
          limit: 'requests-per-minute',
          subject: subject.kind,
          message: `The ${subject.kind}'s limit of ${requestsPerMinute} requests per minute is reached (${subject.kind} ${subject.id}). Retry in ${seconds(retry)} s.`,
          retryAfterSeconds: seconds(retry),
        });
      }
      if (tokensPerMinute !== undefined) {
        const used = window.tokens.reduce((sum, [, tokens]) => sum + tokens, 0);
        if (used >= tokensPerMinute) {
          const retry = (window.tokens[0]?.[0] ?? now) + WINDOW_MS - now;
          throw new GatewayRateLimitError({
            limit: 'tokens-per-minute',
            subject: subject.kind,
            message: `The ${subject.kind}'s limit of ${tokensPerMinute} tokens per minute is used up (${used} used; ${subject.kind} ${subject.id}). Retry in ${seconds(retry)} s.`,
            retryAfterSeconds: seconds(retry),
          });
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
  }

  /** A request finished: frees its parallel slot and counts its tokens. */
  release(subjects: readonly RateSubject[], tokens: number): void {
    const now = this.now();
    for (const subject of subjects) {
      const window = this.window(subject);
      window.inFlight = Math.max(0, window.inFlight - 1);
      if (tokens > 0) window.tokens.push([now, tokens]);
    }
  }
}

function seconds(milliseconds: number): number {
  return Math.max(1, Math.ceil(milliseconds / 1000));
}
