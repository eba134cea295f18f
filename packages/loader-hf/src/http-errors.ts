/**
 * Hub failures as HfErrors whose messages say what to do: a token for gated or private
 * repos, what the repo has when a file is missing, offline mode when the network is down.
 */
import { AbortError, isAbortError, LlmrError } from '@llmr/core';
import { HfError } from './hf-error';
import type { HubFetch } from './hub-fetch';

/** A non-2xx answer from the hub to one of our own requests (downloads). */
export class HubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly detail: string | undefined,
    /** The hub's X-Error-Code header: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo. */
    readonly errorCode: string | undefined,
  ) {
    super(`HTTP ${status} from ${url}${detail ? `: ${detail}` : ''}`);
    this.name = 'HubHttpError';
  }

  static async from(response: Response): Promise<HubHttpError> {
    let detail: string | undefined;
    try {
      const text = await response.text();
      try {
        const json = JSON.parse(text) as { error?: unknown; message?: unknown };
        detail = String(json.error ?? json.message ?? text);
      } catch {
        detail = text.trim() || undefined;
      }
    } catch {
      detail = undefined;
    }
    return new HubHttpError(
      response.status,
      response.url,
      detail?.slice(0, 300),
      response.headers.get('x-error-code') ?? undefined,
    );
  }
}

export interface ErrorContext {
  source: string;
  repo: string;
  endpoint: string;
  revision?: string;
  /** The file being fetched, when one was. */
  path?: string;
  tokenSource?: string;
  fetch?: HubFetch;
  /** What the repo has, for 404 on a file. */
  listing?: readonly string[];
}

/** @huggingface/hub's HubApiError, recognised by shape (it is not exported as a value we import eagerly). */
function statusOf(
  error: unknown,
): { status: number; url?: string; detail?: string; errorCode?: string } | undefined {
  if (error instanceof HubHttpError) {
    return {
      status: error.status,
      url: error.url,
      detail: error.detail,
      errorCode: error.errorCode,
    };
  }
  const candidate = error as { statusCode?: unknown; url?: unknown; message?: unknown };
  if (candidate && typeof candidate.statusCode === 'number') {
    const message = typeof candidate.message === 'string' ? candidate.message : undefined;
    return {
      status: candidate.statusCode,
      url: typeof candidate.url === 'string' ? candidate.url : undefined,
      // HubApiError appends ". URL: ..." to the hub's message; the URL is shown separately.
      detail: message?.replace(/\.\s*URL: .*$/s, ''),
    };
  }
  return undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The errno-ish code of a failed fetch (`fetch failed` wraps the real cause). */
export function networkCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof TypeError && /fetch failed|terminated|socket/i.test(error.message)) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message ? cause.message : error.message;
  }
  return undefined;
}

export function isNetworkError(error: unknown): boolean {
  return networkCodeOf(error) !== undefined;
}

export function offlineHint(): string {
  return 'Models already in the cache load without the network: set HF_HUB_OFFLINE=1 (or pass offline: true).';
}

export function toHfError(error: unknown, context: ErrorContext): LlmrError {
  if (HfError.isInstance(error)) return error;
  if (isAbortError(error))
    return AbortError.isInstance(error) ? error : new AbortError({ cause: error });
  const { source, repo, endpoint } = context;
  const base = { source, repo, cause: error };
  const network = networkCodeOf(error);
  if (network) {
    return new HfError({
      ...base,
      code: 'hf-network-error',
      isRetryable: true,
      message: `Cannot reach ${endpoint} (${network}) for ${repo}: check the connection${endpoint.includes('huggingface.co') ? '' : ' and HF_ENDPOINT'}. ${offlineHint()}`,
    });
  }
  const status = statusOf(error);
  if (!status) {
    if (LlmrError.isInstance(error)) return error;
    return new HfError({
      ...base,
      code: 'hf-invalid-response',
      message: `Fetching ${repo} from ${endpoint} failed: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  const detail = status.detail ? `: ${status.detail}` : '';
  const http = { ...base, statusCode: status.status, url: status.url };
  const page = `${endpoint}/${repo}`;
  const tokens = `${endpoint}/settings/tokens`;
  switch (status.status) {
    case 401:
      return new HfError({
        ...http,
        code: 'hf-unauthorized',
        message: context.tokenSource
          ? `The hub refused the token from ${context.tokenSource} for ${repo} (HTTP 401${detail}). Check that it is valid and has read access (${tokens}); for a gated model, accept its license at ${page} with the same account.`
          : `${repo} needs an access token (HTTP 401${detail}): it is gated or private, or it does not exist. Set HF_TOKEN to a token from ${tokens} and, for a gated model, accept its license at ${page}.`,
      });
    case 403:
      return new HfError({
        ...http,
        code: 'hf-forbidden',
        message: context.tokenSource
          ? `Access to ${repo} is restricted (HTTP 403${detail}) and the account of the token from ${context.tokenSource} is not allowed in. Accept the model's license at ${page} with that account (a manually gated model also needs the authors' approval), or set HF_TOKEN to a token of an account that has access.`
          : `Access to ${repo} is restricted (HTTP 403${detail}). Set HF_TOKEN to a token from ${tokens} of an account that accepted the model's license at ${page}.`,
      });
    case 404: {
      if (status.errorCode === 'RevisionNotFound') {
        return new HfError({
          ...http,
          code: 'hf-revision-not-found',
          message: `${repo} has no revision "${context.revision}" (HTTP 404). Use a branch, tag or commit that exists (see ${page}/tree/main), or leave @revision out for main.`,
        });
      }
      if (context.path && status.errorCode !== 'RepoNotFound') {
        const listing = context.listing ?? [];
        return new HfError({
          ...http,
          code: 'hf-file-not-found',
          missing: [context.path],
          available: [...listing],
          message:
            `${repo}${context.revision ? `@${context.revision}` : ''} has no file ${context.path} (HTTP 404). ${listing.length ? `It has: ${listing.slice(0, 30).join(', ')}${listing.length > 30 ? ` and ${listing.length - 30} more` : ''}.` : ''}`.trim(),
        });
      }
      return new HfError({
        ...http,
        code: 'hf-repo-not-found',
        message: `There is no model ${repo} on ${endpoint} (HTTP 404${detail}). Check the name: it is the org/repo part of the model page's URL.`,
      });
    }
    case 429: {
      const giveUp = context.fetch?.lastGiveUp;
      const wait =
        giveUp?.retryAfterMs !== undefined
          ? `; it asks to wait ${Math.ceil(giveUp.retryAfterMs / 1000)} s`
          : '';
      return new HfError({
        ...http,
        code: 'hf-rate-limited',
        isRetryable: true,
        message: `The hub is rate limiting requests for ${repo} (HTTP 429)${giveUp ? ` and still was after ${giveUp.attempts} tries` : ''}${wait}. Wait a few minutes and run again${context.tokenSource ? '' : ', or set HF_TOKEN (signed-in users get higher limits)'}.`,
      });
    }
    default:
      return new HfError({
        ...http,
        code: status.status >= 500 ? 'hf-server-error' : 'hf-invalid-response',
        isRetryable: status.status >= 500,
        message: `The hub answered HTTP ${status.status} for ${repo}${context.path ? ` (${context.path})` : ''}${detail}${status.status >= 500 ? '. It may be down for a moment: run again shortly.' : '.'}`,
      });
  }
}
