/**
 * The fetch every hub request goes through (those @huggingface/hub makes and the
 * downloads): it adds the token only for the hub's own origin (never for the CDN a
 * download redirects to), follows redirects itself so that rule holds on every hop, and
 * waits and retries on 429 (Retry-After) and 5xx a bounded number of times.
 */
import { delay } from '@llmr/core';

export interface RetryInfo {
  url: string;
  status: number;
  attempt: number;
  waitMs: number;
}

export interface HubFetchOptions {
  endpoint: string;
  accessToken?: string;
  fetch?: typeof fetch;
  /** Retries after a 429 or 5xx answer (default 3). */
  maxRetries?: number;
  /** Longest wait a Retry-After may ask for before giving up instead (default 60 s). */
  maxRetryWaitMs?: number;
  onRetry?: (info: RetryInfo) => void;
  abortSignal?: AbortSignal;
}

export interface HubFetch {
  (input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The last answer that was given up on (429 or 5xx after every retry), for messages. */
  lastGiveUp?: { status: number; retryAfterMs?: number; attempts: number };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

export function createHubFetch(options: HubFetchOptions): HubFetch {
  const base = options.fetch ?? globalThis.fetch;
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
  const hubOrigin = originOf(options.endpoint);

  async function once(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const response = await base(url, { ...init, redirect: 'manual', signal });
      if (!isRetryableStatus(response.status)) return response;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const waitMs = retryAfterMs ?? (response.status === 429 ? 1000 : 500) * 2 ** attempt;
      if (attempt >= maxRetries || waitMs > maxRetryWaitMs) {
        hubFetch.lastGiveUp = { status: response.status, retryAfterMs, attempts: attempt + 1 };
        return response;
      }
      await response.body?.cancel().catch(() => {});
      options.onRetry?.({ url, status: response.status, attempt: attempt + 1, waitMs });
      await delay(waitMs, signal);
    }
  }

  const hubFetch: HubFetch = async (input, init = {}) => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const follow = (init.redirect ?? 'follow') === 'follow';
    const signal =
      init.signal && options.abortSignal
        ? AbortSignal.any([init.signal, options.abortSignal])
        : (init.signal ?? options.abortSignal);
    for (let hop = 0; ; hop++) {
      const headers = new Headers(init.headers);
      if (originOf(url) === hubOrigin) {
        if (options.accessToken && !headers.has('authorization')) {
          headers.set('authorization', `Bearer ${options.accessToken}`);
        }
      } else {
        // A redirect to a CDN or a signed URL: the token stays with the hub.
        headers.delete('authorization');
      }
      const response = await once(url, { ...init, headers }, signal ?? undefined);
      const location = response.headers.get('location');
      if (!follow || !REDIRECTS.has(response.status) || !location) return response;
      if (hop >= MAX_REDIRECTS) {
        throw new TypeError(`fetch failed: more than ${MAX_REDIRECTS} redirects from ${url}`);
      }
      await response.body?.cancel().catch(() => {});
      url = new URL(location, url).href;
    }
  };
  return hubFetch;
}
