/**
 * One HTTP call to an upstream: headers, deadline, and every failure mapped to an
 * LlmrError. HTTP errors become APICallError (retryable for 408/409/429/5xx) carrying
 * `retryAfterMs` from Retry-After / retry-after-ms, which @llmr/router's retry honours.
 */
import { AbortError, APICallError, TimeoutError } from '@llmr/core';

export type OpenAICompatibleAPICallError = APICallError & {
  /** How long the upstream asked callers to wait (from `retry-after-ms` or `Retry-After`). */
  retryAfterMs?: number;
  responseHeaders?: Record<string, string>;
};

export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds !== null && Number.isFinite(Number(milliseconds)) && Number(milliseconds) >= 0)
    return Number(milliseconds);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function messageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as {
      error?: { message?: unknown } | string;
      message?: unknown;
      detail?: unknown;
    };
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.detail === 'string') return parsed.detail;
  } catch {
    // Not JSON: the raw body says it best.
  }
  return body.trim().slice(0, 500) || undefined;
}

export async function apiErrorFromResponse(
  url: string,
  response: Response,
): Promise<OpenAICompatibleAPICallError> {
  const responseBody = await response.text().catch(() => '');
  const detail = messageOf(responseBody);
  const error = new APICallError({
    url,
    statusCode: response.status,
    responseBody,
    message: `${url} answered ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`,
  }) as OpenAICompatibleAPICallError;
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    responseHeaders[key] = value;
  });
  const retryAfterMs = parseRetryAfter(response.headers);
  return Object.assign(error, {
    responseHeaders,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

export interface CallScope {
  signal: AbortSignal;
  /** Maps whatever a fetch or a read threw once the scope was aborted to the right error. */
  errorFor(caught: unknown): unknown;
  close(): void;
}

/** Combines the caller's signal and a timeout, and remembers which one fired. */
export function createCallScope(
  url: string,
  callerSignal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): CallScope {
  const controller = new AbortController();
  const onAbort = () => controller.abort(new AbortError({ cause: callerSignal?.reason }));
  if (callerSignal?.aborted) onAbort();
  else callerSignal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs !== undefined
      ? setTimeout(
          () =>
            controller.abort(
              new TimeoutError({
                timeoutMs,
                message: `${url} did not answer within ${timeoutMs} ms.`,
              }),
            ),
          timeoutMs,
        )
      : undefined;
  return {
    signal: controller.signal,
    errorFor(caught) {
      if (controller.signal.aborted) return controller.signal.reason;
      if (APICallError.isInstance(caught) || AbortError.isInstance(caught)) return caught;
      const cause = caught instanceof Error ? caught : new Error(String(caught));
      const detail = (cause as Error & { cause?: { code?: string } }).cause?.code;
      return new APICallError({
        url,
        isRetryable: true,
        cause,
        message: `The connection to ${url} failed: ${cause.message}${detail ? ` (${detail})` : ''}.`,
      });
    },
    close() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
    },
  };
}
