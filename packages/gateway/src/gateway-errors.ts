/**
 * The errors a gateway answers with. Each carries the HTTP status the server maps it to,
 * so the REST and OpenAI-compatible layers need no table of their own: 401 for who you
 * are, 403 for what you may do, 429 for how fast, 402 for how much.
 */
import { LlmrError } from '@llmr/core';

export abstract class GatewayError extends LlmrError {
  abstract readonly status: number;
  /** Seconds until trying again may succeed, for `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;
  constructor(options: {
    code: string;
    message: string;
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    super({
      code: options.code,
      message: options.message,
      cause: options.cause,
      isRetryable: options.retryAfterSeconds !== undefined,
    });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
  static override isInstance(error: unknown): error is GatewayError {
    return LlmrError.hasMarker(error, 'llmr.error.GatewayError');
  }
}
Object.defineProperty(GatewayError.prototype, Symbol.for('llmr.error.GatewayError'), {
  value: true,
});

/** No key, an unknown or wrong key, or a key that expired or was revoked. */
export class GatewayAuthenticationError extends GatewayError {
  readonly status = 401;
  constructor(options: { message: string; code?: string }) {
    super({ code: options.code ?? 'gateway-unauthenticated', message: options.message });
    this.name = 'GatewayAuthenticationError';
  }
}

/** The key is valid but may not do this: a scope it lacks or a model it may not use. */
export class GatewayPermissionError extends GatewayError {
  readonly status = 403;
  constructor(options: { code: 'gateway-scope-denied' | 'gateway-model-denied'; message: string }) {
    super(options);
    this.name = 'GatewayPermissionError';
  }
}

export type RateLimitName = 'requests-per-minute' | 'tokens-per-minute' | 'max-parallel';

/** Too many requests, tokens or parallel requests for a key or its tenant. */
export class GatewayRateLimitError extends GatewayError {
  readonly status = 429;
  readonly limit: RateLimitName;
  readonly subject: 'key' | 'tenant';
  constructor(options: {
    limit: RateLimitName;
    subject: 'key' | 'tenant';
    message: string;
    retryAfterSeconds: number;
  }) {
    super({
      code: 'gateway-rate-limited',
      message: options.message,
      retryAfterSeconds: options.retryAfterSeconds,
    });
    this.name = 'GatewayRateLimitError';
    this.limit = options.limit;
    this.subject = options.subject;
  }
}

/** A hard budget of a key or its tenant is spent until the period resets. */
export class GatewayBudgetError extends GatewayError {
  readonly status = 402;
  readonly budget: string;
  readonly subject: 'key' | 'tenant';
  readonly resetsAt: Date;
  constructor(options: {
    budget: string;
    subject: 'key' | 'tenant';
    message: string;
    resetsAt: Date;
    now: number;
  }) {
    super({
      code: 'gateway-budget-exceeded',
      message: options.message,
      retryAfterSeconds: Math.max(1, Math.ceil((options.resetsAt.getTime() - options.now) / 1000)),
    });
    this.name = 'GatewayBudgetError';
    this.budget = options.budget;
    this.subject = options.subject;
    this.resetsAt = options.resetsAt;
  }
}

/** An admin call named a tenant or key that does not exist. */
export class GatewayNotFoundError extends GatewayError {
  readonly status = 404;
  constructor(options: { message: string }) {
    super({ code: 'gateway-not-found', message: options.message });
    this.name = 'GatewayNotFoundError';
  }
}
