/**
 * The one base class for every error llmr throws. Errors are recognised by a
 * `Symbol.for` marker rather than `instanceof`, so two copies of @llmr/core in one
 * process (duplicate installs, bundles) still agree on what an llmr error is.
 */
const marker = 'llmr.error';
const symbol = Symbol.for(marker);

export interface LlmrErrorOptions {
  /** Stable, machine-readable code, e.g. `invalid-argument`, `gguf-invalid-magic`. */
  code: string;
  message: string;
  cause?: unknown;
  /** Whether trying the same call again may succeed (timeouts, busy, 5xx upstreams). */
  isRetryable?: boolean;
}

export class LlmrError extends Error {
  private readonly [symbol] = true;

  readonly code: string;
  readonly isRetryable: boolean;
  override readonly cause?: unknown;

  constructor({ code, message, cause, isRetryable = false }: LlmrErrorOptions) {
    super(message);
    this.name = 'LlmrError';
    this.code = code;
    this.cause = cause;
    this.isRetryable = isRetryable;
  }

  /** True for any llmr error, from any copy of @llmr/core. */
  static isInstance(error: unknown): error is LlmrError {
    return LlmrError.hasMarker(error, marker);
  }

  protected static hasMarker(error: unknown, name: string): boolean {
    const key = Symbol.for(name);
    return (
      error != null &&
      typeof error === 'object' &&
      key in error &&
      (error as Record<symbol, unknown>)[key] === true
    );
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      isRetryable: this.isRetryable,
    };
  }
}
