/**
 * Retry decisions: which errors are worth another try, and how long to wait
 * (exponential backoff with seedable jitter, at least the upstream's Retry-After).
 */
import { isAbortError, LlmrError } from '@llmr/core';

export interface RetrySettings {
  /** Retries per candidate after the first try (0 = fall back at once). */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** `full`: random in [0, d]; `equal`: d/2 + random in [0, d/2]; `none`: d. */
  jitter: 'full' | 'equal' | 'none';
  /** A Retry-After longer than this is not waited for: the router falls back instead. */
  maxRetryAfterMs: number;
}

export const defaultRetrySettings: RetrySettings = {
  maxRetries: 1,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  factor: 2,
  jitter: 'full',
  maxRetryAfterMs: 10_000,
};

export function isRetryableError(error: unknown): boolean {
  if (isAbortError(error) && !LlmrError.isInstance(error)) return false;
  if (LlmrError.isInstance(error)) return error.isRetryable;
  // Network failures from fetch and friends are worth another try.
  return error instanceof TypeError && /fetch|network|socket|terminated/i.test(error.message);
}

/**
 * The upstream's requested wait, when it said: a numeric `retryAfterMs` field (as
 * @llmr/provider-openai sets from Retry-After / retry-after-ms headers), or a
 * `responseHeaders['retry-after']` in seconds.
 */
export function retryAfterMsOf(error: unknown): number | undefined {
  if (error == null || typeof error !== 'object') return undefined;
  const direct = (error as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof direct === 'number' && Number.isFinite(direct) && direct >= 0) return direct;
  const headers = (error as { responseHeaders?: Record<string, string> }).responseHeaders;
  const header = headers?.['retry-after'];
  if (header !== undefined) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  }
  return undefined;
}

/** Delay before retry number `retry` (1-based), or undefined when the retry should be skipped. */
export function backoffDelay(
  settings: RetrySettings,
  retry: number,
  error: unknown,
  random: () => number,
): { delayMs: number } | { skip: string } {
  const exponential = Math.min(
    settings.maxDelayMs,
    settings.baseDelayMs * settings.factor ** (retry - 1),
  );
  let delayMs =
    settings.jitter === 'full'
      ? random() * exponential
      : settings.jitter === 'equal'
        ? exponential / 2 + (random() * exponential) / 2
        : exponential;
  const retryAfter = retryAfterMsOf(error);
  if (retryAfter !== undefined) {
    if (retryAfter > settings.maxRetryAfterMs) {
      return {
        skip: `Retry-After ${retryAfter} ms exceeds maxRetryAfterMs ${settings.maxRetryAfterMs}`,
      };
    }
    delayMs = Math.max(delayMs, retryAfter);
  }
  return { delayMs: Math.round(delayMs) };
}
