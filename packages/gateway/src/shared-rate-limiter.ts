/**
 * The per-minute limits counted in a window store that replicas share (the server's
 * Redis shared state), so any number of replicas enforce one key's requests and tokens
 * per minute together, exactly. The parallel cap stays in each process: a slot is held
 * for a request's whole life, and a replica that died mid-request would hold a shared
 * slot until it expired.
 *
 * Known limit: when the key admits a request and its tenant then refuses it, the key's
 * window keeps that request (the store can shrink a token reservation, not uncount a
 * request), so a key may be refused slightly early while its tenant is at its limit.
 */
import { randomUUID } from 'node:crypto';
import {
  type GatewayRateLimiter,
  RATE_WINDOW_MS,
  type RateLimiter,
  type RateSubject,
  type RateTicket,
  requestLimitError,
  tokenLimitError,
} from './rate-limiter';

/**
 * What the limiter needs of the shared store: the server's `SharedState` has this shape.
 * `reserve` counts one request and holds `tokens` atomically unless a limit refuses
 * (requests at the limit, or tokens held plus `tokens` over it); `settle` replaces the
 * hold with the tokens really used.
 */
export interface RateWindowStore {
  reserve(request: {
    key: string;
    id: string;
    tokens: number;
    limits: { requestsPerMinute?: number; tokensPerMinute?: number };
  }): Promise<{
    allowed: boolean;
    exceeded?: 'requests' | 'tokens';
    tokensUsed: number;
    resetRequestsMs: number;
    resetTokensMs: number;
  }>;
  settle(key: string, id: string, tokens: number): Promise<void>;
}

export class SharedRateLimiter implements GatewayRateLimiter {
  constructor(
    private readonly store: RateWindowStore,
    /** Holds the parallel caps, in this process. */
    private readonly local: RateLimiter,
    private readonly onSettleError: (error: unknown) => void = () => {},
    private readonly prefix = 'gateway:',
  ) {}

  async admit(subjects: readonly RateSubject[]): Promise<RateTicket> {
    const held: Array<{ key: string; id: string }> = [];
    const settle = (tokens: number) => {
      for (const { key, id } of held) this.store.settle(key, id, tokens).catch(this.onSettleError);
    };
    try {
      for (const subject of subjects) {
        const { requestsPerMinute, tokensPerMinute } = subject.policy;
        if (requestsPerMinute === undefined && tokensPerMinute === undefined) continue;
        // Tokens are charged after the fact, so a request holds none; "tokens used
        // reached the limit" is "0 more would exceed limit - 1". A limit of 0 refuses all.
        if (tokensPerMinute === 0) throw tokenLimitError(subject, 0, RATE_WINDOW_MS);
        const key = `${this.prefix}${subject.kind}:${subject.id}`;
        const id = randomUUID();
        const decision = await this.store.reserve({
          key,
          id,
          tokens: 0,
          limits: {
            ...(requestsPerMinute === undefined ? {} : { requestsPerMinute }),
            ...(tokensPerMinute === undefined ? {} : { tokensPerMinute: tokensPerMinute - 1 }),
          },
        });
        if (decision.exceeded === 'requests')
          throw requestLimitError(subject, decision.resetRequestsMs);
        if (!decision.allowed)
          throw tokenLimitError(subject, decision.tokensUsed, decision.resetTokensMs);
        held.push({ key, id });
      }
    } catch (error) {
      settle(0);
      throw error;
    }
    let parallel: RateTicket;
    try {
      parallel = await this.local.admit(
        subjects.map((subject) => ({
          ...subject,
          policy:
            subject.policy.maxParallel === undefined
              ? {}
              : { maxParallel: subject.policy.maxParallel },
        })),
      );
    } catch (error) {
      settle(0);
      throw error;
    }
    let released = false;
    return {
      release: (tokens) => {
        if (released) return;
        released = true;
        parallel.release(0);
        settle(tokens);
      },
    };
  }
}
