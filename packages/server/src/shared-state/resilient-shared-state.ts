/**
 * Redis with a way out: when a Redis command fails, the server keeps serving on per-process
 * state (degraded mode: each replica enforces the limits alone), logs one warning, and
 * probes Redis every second until it answers again. `failMode: 'closed'` refuses
 * rate-limited requests instead of admitting them on per-process limits.
 */
import { LlmrError } from '@llmr/core';
import { createMemorySharedState } from './memory-shared-state';
import type { RedisSharedState } from './redis-shared-state';
import type { SharedState, SharedStateStatus } from './shared-state';

export type FailMode = 'open' | 'closed';

export interface ResilientSharedStateOptions {
  primary: RedisSharedState;
  /** `open` (default): per-process limits while Redis is down. `closed`: refuse instead. */
  failMode?: FailMode;
  /** How often a degraded server probes Redis. Default 1000 ms. */
  probeIntervalMs?: number;
  log?: { warn(message: string): void; info(message: string): void };
}

export class SharedStateUnavailableError extends LlmrError {
  constructor(reason: string) {
    super({
      code: 'shared-state-unavailable',
      isRetryable: true,
      message: `Shared rate-limit state is unavailable (${reason}) and the server is set to fail closed. Retry shortly, or start it with fail-open to serve on per-process limits.`,
    });
  }
}

export function createResilientSharedState(options: ResilientSharedStateOptions): SharedState {
  const { primary } = options;
  const fallback = createMemorySharedState();
  const failMode = options.failMode ?? 'open';
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  // Degraded until the first successful probe: the connection is made in the background.
  let degradedReason: string | undefined = 'connecting';
  let probe: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const recover = () => {
    if (degradedReason === undefined) return;
    const wasConnecting = degradedReason === 'connecting';
    degradedReason = undefined;
    if (probe) clearInterval(probe);
    probe = undefined;
    options.log?.info(
      wasConnecting
        ? 'Connected to Redis: rate limits and circuit state are shared across replicas.'
        : 'Redis is back: rate limits and circuit state are shared across replicas again.',
    );
  };

  const startProbing = () => {
    if (probe || closed) return;
    probe = setInterval(() => {
      primary.ping().then(recover, () => {});
    }, probeIntervalMs);
    probe.unref?.();
  };

  const degrade = (error: unknown) => {
    const reason = (error as Error).message ?? String(error);
    if (degradedReason === undefined)
      options.log?.warn(
        `Redis failed (${reason}): serving in degraded mode with per-process limits (${failMode === 'open' ? 'fail-open' : 'fail-closed: rate-limited requests are refused'}) until it returns.`,
      );
    degradedReason = reason;
    startProbing();
  };

  /** Runs on Redis when it is up; on the per-process state when it is not. */
  const either = async <T>(
    onPrimary: (state: SharedState) => Promise<T>,
    refuseWhenClosed = false,
  ): Promise<T> => {
    if (degradedReason === undefined) {
      try {
        return await onPrimary(primary);
      } catch (error) {
        degrade(error);
      }
    }
    if (refuseWhenClosed && failMode === 'closed')
      throw new SharedStateUnavailableError(degradedReason ?? 'unknown');
    return onPrimary(fallback);
  };

  primary.ping().then(recover, degrade);

  return {
    name: 'redis',
    reserve: (request) => either((state) => state.reserve(request), true),
    settle: (key, id, tokens) => either((state) => state.settle(key, id, tokens)),
    get: (key) => either((state) => state.get(key)),
    getMany: (keys) => either((state) => state.getMany(keys)),
    set: (key, value, ttlMs) => either((state) => state.set(key, value, ttlMs)),
    claim: (key, value, ttlMs) => either((state) => state.claim(key, value, ttlMs)),
    delete: (key) => either((state) => state.delete(key)),
    status(): SharedStateStatus {
      return degradedReason === undefined
        ? { mode: 'redis' }
        : { mode: 'degraded', reason: degradedReason };
    },
    async close() {
      closed = true;
      if (probe) clearInterval(probe);
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}
