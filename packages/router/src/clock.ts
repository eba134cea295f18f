/**
 * Time as the router sees it. Everything time-based (idle unload, circuit breaker
 * windows, budgets, cache TTLs, backoff, timeouts) goes through a Clock, so tests use a
 * manual clock and never wait on wall time.
 */
export interface Clock {
  now(): number;
  /**
   * `background` timers (idle unload, health checks) must not keep a process alive;
   * request timers (deadlines, backoff) must, or a script could exit mid-request.
   */
  setTimeout(callback: () => void, ms: number, options?: { background?: boolean }): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  // Fractional milliseconds: time to first token and tokens/s need better than 1 ms.
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (callback, ms, options) => {
    const handle = setTimeout(callback, ms);
    if (options?.background) (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ManualClock extends Clock {
  /** Moves time forward, firing due timers in order. Awaits a microtask turn after each. */
  advance(ms: number): Promise<void>;
  /** Timers not yet fired. */
  readonly pending: number;
}

/** A clock that only moves when told to: for deterministic tests. */
export function createManualClock(start = 0): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    get pending() {
      return timers.size;
    },
    async advance(ms) {
      const target = now + ms;
      while (true) {
        let dueId: number | undefined;
        let dueAt = Number.POSITIVE_INFINITY;
        for (const [id, timer] of timers) {
          if (timer.at <= target && timer.at < dueAt) {
            dueAt = timer.at;
            dueId = id;
          }
        }
        if (dueId === undefined) break;
        const timer = timers.get(dueId)!;
        timers.delete(dueId);
        now = Math.max(now, timer.at);
        timer.callback();
        await new Promise((resolve) => setImmediate(resolve));
      }
      now = target;
    },
  };
}

/** Resolves after `ms` on the clock; rejects with the signal's reason as soon as it fires. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
