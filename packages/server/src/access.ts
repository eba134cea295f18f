/**
 * Who may call, and how often: one set of rules for REST, WebSocket and GraphQL. API keys,
 * refusal while shutting down, per-client request and token limits, and which browser
 * origins may open a WebSocket (browsers do not apply CORS to WebSockets, so the server
 * must, or any web page could drive a local model through the user's browser).
 */
import { LlmrError } from '@llmr/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createApiKeyStore, presentedKey } from './auth';
import { type OpenAIError, openAIError } from './openai/errors';
import { type Admission, createRateLimiter, type RateLimits } from './rate-limiter';
import type { SharedState } from './shared-state/shared-state';

/** What identifies a caller: an HTTP request or a WebSocket upgrade. */
export interface Caller {
  ip: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
}

export type Identity = { client: string; refused?: undefined } | { refused: OpenAIError };

export type AdmitResult =
  | { refused: OpenAIError; admission?: undefined }
  | { refused?: undefined; admission: Admission };

export interface Access {
  readonly keysEnabled: boolean;
  /** False when no request or token limit is set: `admit` then only checks draining. */
  readonly limitsEnabled: boolean;
  /**
   * The caller's rate-limit identity: `key:<id>` with API keys, its IP without. Refuses a
   * missing or wrong key. `queryKey` also accepts `?api_key=` (WebSocket upgrades only).
   */
  identify(caller: Caller, options?: { queryKey?: boolean }): Identity;
  /**
   * Refuses while shutting down or when the client is over its limits; else counts a
   * request and reserves `tokens` (prompt estimate + max_tokens) until it settles.
   */
  admit(client: string, tokens?: number): Promise<AdmitResult>;
  /** Refuses while shutting down. */
  open(): OpenAIError | undefined;
  /** May a page from `origin` open a WebSocket here? Same-origin and non-browser callers may. */
  originAllowed(caller: Caller): boolean;
}

export function shuttingDownError(): OpenAIError {
  return {
    ...openAIError(
      503,
      'The server is shutting down; retry on another instance.',
      'server_error',
      'shutting_down',
    ),
    headers: { 'retry-after': '5' },
  };
}

export function createAccess(options: {
  apiKeys: readonly string[];
  limits: RateLimits;
  /** Where the limits are counted: this process's memory, or Redis shared by replicas. */
  state: SharedState;
  onStateError?: (error: unknown) => void;
  isDraining: () => boolean;
  /** Cross-origin pages allowed to open WebSockets (the CORS list); none when empty. */
  origins: readonly (string | RegExp)[];
}): Access {
  const keys = createApiKeyStore(options.apiKeys);
  const limiter = createRateLimiter(options.limits, options.state, options.onStateError);
  const open = () => (options.isDraining() ? shuttingDownError() : undefined);
  return {
    keysEnabled: keys.enabled,
    limitsEnabled: limiter.enabled,
    identify(caller, { queryKey = false } = {}) {
      if (!keys.enabled) return { client: caller.ip };
      const keyId = keys.verify(presentedKey(caller.headers, queryKey ? caller.query : undefined));
      if (keyId) return { client: `key:${keyId}` };
      return {
        refused: openAIError(
          401,
          queryKey
            ? 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>", or as ?api_key=<key> where headers cannot be set.'
            : 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".',
          'invalid_request_error',
          'invalid_api_key',
        ),
      };
    },
    open,
    async admit(client, tokens = 0) {
      const closed = open();
      if (closed) return { refused: closed };
      let admission: Admission;
      try {
        admission = await limiter.admit(client, tokens);
      } catch (error) {
        if (!LlmrError.isInstance(error) || error.code !== 'shared-state-unavailable') throw error;
        return {
          refused: {
            ...openAIError(503, error.message, 'server_error', 'rate_limits_unavailable'),
            headers: { 'retry-after': '1' },
          },
        };
      }
      if (admission.allowed) return { admission };
      return {
        refused: {
          ...openAIError(
            429,
            `${admission.reason} Retry after ${admission.retryAfterSeconds} s.`,
            'requests',
            'rate_limit_exceeded',
          ),
          headers: admission.headers,
        },
      };
    },
    originAllowed(caller) {
      const origin = caller.headers.origin;
      if (typeof origin !== 'string') return true;
      const host = caller.headers.host;
      try {
        if (typeof host === 'string' && new URL(origin).host === host) return true;
      } catch {
        return false;
      }
      return options.origins.some((allowed) =>
        typeof allowed === 'string' ? allowed === origin : allowed.test(origin),
      );
    },
  };
}

const clients = new WeakMap<FastifyRequest, string>();
const admissions = new WeakMap<FastifyRequest, Admission>();

/** The rate-limit admission a guard made for this request, settled when it ends. */
export function admissionOf(request: FastifyRequest): Admission | undefined {
  return admissions.get(request);
}

export function setAdmission(request: FastifyRequest, admission: Admission): void {
  admissions.set(request, admission);
}

/** The identity a guard found for this request (its IP when none ran). */
export function clientOf(request: FastifyRequest): string {
  return clients.get(request) ?? request.ip;
}

/** The identity a guard found, if one did. */
export function knownClient(request: FastifyRequest): string | undefined {
  return clients.get(request);
}

export function setClient(request: FastifyRequest, client: string): void {
  clients.set(request, client);
}

/** Answers a refusal in OpenAI's error shape, with its headers (Retry-After). */
export function sendRefusal(reply: FastifyReply, refused: OpenAIError): FastifyReply {
  if (refused.headers) reply.headers(refused.headers);
  return reply.status(refused.status).send(refused.body);
}

export function forbiddenOriginError(origin: unknown): OpenAIError {
  return openAIError(
    403,
    `WebSocket connections from the origin ${JSON.stringify(origin)} are not allowed. Add it to the server's corsOrigins.`,
    'invalid_request_error',
    'origin_not_allowed',
  );
}
