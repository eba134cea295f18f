/**
 * Per-key sliding-window limits on requests and tokens per minute. Tokens are charged
 * when a request finishes (its real usage); a key over either limit gets 429 with the
 * seconds until enough of its window has expired.
 */
export interface RateLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds?: number;
  reason?: string;
}

const WINDOW_MS = 60_000;

export function createRateLimiter(limits: RateLimits, now: () => number = Date.now) {
  const requests = new Map<string, number[]>();
  const tokens = new Map<string, { at: number; count: number }[]>();

  const prune = (key: string, time: number) => {
    const recentRequests = (requests.get(key) ?? []).filter((at) => at > time - WINDOW_MS);
    const recentTokens = (tokens.get(key) ?? []).filter((entry) => entry.at > time - WINDOW_MS);
    requests.set(key, recentRequests);
    tokens.set(key, recentTokens);
    return { recentRequests, recentTokens };
  };

  return {
    enabled: limits.requestsPerMinute !== undefined || limits.tokensPerMinute !== undefined,
    /** Checks and, if allowed, counts one request. */
    take(key: string): RateDecision {
      const time = now();
      const { recentRequests, recentTokens } = prune(key, time);
      if (
        limits.requestsPerMinute !== undefined &&
        recentRequests.length >= limits.requestsPerMinute
      ) {
        const retry = Math.max(1, Math.ceil((recentRequests[0]! + WINDOW_MS - time) / 1000));
        return {
          allowed: false,
          retryAfterSeconds: retry,
          reason: `Rate limit reached: ${limits.requestsPerMinute} requests per minute.`,
        };
      }
      const used = recentTokens.reduce((sum, entry) => sum + entry.count, 0);
      if (limits.tokensPerMinute !== undefined && used >= limits.tokensPerMinute) {
        let freed = used;
        let retryAt = time + WINDOW_MS;
        for (const entry of recentTokens) {
          freed -= entry.count;
          if (freed < limits.tokensPerMinute) {
            retryAt = entry.at + WINDOW_MS;
            break;
          }
        }
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((retryAt - time) / 1000)),
          reason: `Rate limit reached: ${limits.tokensPerMinute} tokens per minute (used ${used}).`,
        };
      }
      recentRequests.push(time);
      return { allowed: true };
    },
    charge(key: string, count: number) {
      if (count <= 0) return;
      const list = tokens.get(key) ?? [];
      list.push({ at: now(), count });
      tokens.set(key, list);
    },
  };
}
