/**
 * One HTTP call to an upstream, for providers written on fetch: a deadline and the
 * caller's signal combined, and every failure mapped to an LlmrError. HTTP errors become
 * APICallError (retryable for 408/409/429/5xx) carrying `retryAfterMs` from Retry-After /
 * retry-after-ms, which @llmr/router's retry honours.
 */
import { AbortError, APICallError, TimeoutError } from '../errors/errors';

/** How a provider's models reach their upstream; read on every request, so keys and URLs may change. */
export interface ProviderConnection {
  /** Provider name: `providerOptions[name]` is merged into request bodies. */
  name: string;
  baseURL: () => string;
  /** Throws (e.g. `api-key-missing`) when a request cannot be authenticated. */
  headers: () => Record<string, string>;
  fetch: typeof fetch;
}

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

/** The human part of an error body: OpenAI's and Anthropic's `{ error: { message } }`, and common variants. */
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

/** A non-2xx response as an APICallError; `isRetryable` overrides the status-based default (e.g. Anthropic's 529). */
export async function apiErrorFromResponse(
  url: string,
  response: Response,
  options: { isRetryable?: boolean } = {},
): Promise<APICallError> {
  const responseBody = await response.text().catch(() => '');
  const detail = messageOf(responseBody);
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    responseHeaders[key] = value;
  });
  const retryAfterMs = parseRetryAfter(response.headers);
  return new APICallError({
    url,
    statusCode: response.status,
    responseBody,
    responseHeaders,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(options.isRetryable !== undefined ? { isRetryable: options.isRetryable } : {}),
    message: `${url} answered ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`,
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

/**
 * POSTs a JSON body under a call scope: a network failure becomes the scope's error
 * (timeout, abort or a retryable APICallError), a non-2xx answer an APICallError.
 * Headers are computed by the caller first, so a missing API key stays its own error.
 */
export async function postJSON(options: {
  fetch: typeof fetch;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  scope: CallScope;
}): Promise<Response> {
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...options.headers,
      },
      body: JSON.stringify(options.body),
      signal: options.scope.signal,
    });
  } catch (caught) {
    throw options.scope.errorFor(caught);
  }
  if (!response.ok) throw await apiErrorFromResponse(options.url, response);
  return response;
}

/**
 * POSTs a JSON body for a streamed answer and returns the response body. On any failure
 * (the headers included, e.g. a missing API key) the scope is closed before the error
 * is thrown; on success the stream owns the scope and closes it when it ends.
 */
export async function postForStream(options: {
  fetch: typeof fetch;
  url: string;
  headers: () => Record<string, string>;
  body: unknown;
  scope: CallScope;
}): Promise<ReadableStream<Uint8Array>> {
  const { url, scope } = options;
  let response: Response;
  try {
    response = await postJSON({ ...options, headers: options.headers() });
  } catch (error) {
    scope.close();
    throw error;
  }
  if (!response.body) {
    scope.close();
    throw new APICallError({
      url,
      statusCode: response.status,
      message: `${url} answered ${response.status} with no body to stream.`,
      isRetryable: true,
    });
  }
  return response.body;
}
