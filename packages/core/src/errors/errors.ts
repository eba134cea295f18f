/**
 * The named members of the LlmrError family. Each has its own `Symbol.for` marker
 * (so `XError.isInstance` works across copies of @llmr/core), a stable code, and
 * typed fields that say what went wrong.
 */
import { LlmrError } from './llmr-error';

function markerOf(name: string): symbol {
  return Symbol.for(`llmr.error.${name}`);
}

const invalidArgument = markerOf('InvalidArgumentError');
/** A caller passed a value that can never work. Fix the call; retrying will not help. */
export class InvalidArgumentError extends LlmrError {
  private readonly [invalidArgument] = true;
  readonly argument: string;
  readonly value: unknown;
  constructor(options: { argument: string; message: string; value?: unknown; cause?: unknown }) {
    super({ code: 'invalid-argument', message: options.message, cause: options.cause });
    this.name = 'InvalidArgumentError';
    this.argument = options.argument;
    this.value = options.value;
  }
  static override isInstance(error: unknown): error is InvalidArgumentError {
    return LlmrError.hasMarker(error, 'llmr.error.InvalidArgumentError');
  }
}

const abort = markerOf('AbortError');
/** The caller's AbortSignal fired. */
export class AbortError extends LlmrError {
  private readonly [abort] = true;
  constructor(options: { message?: string; cause?: unknown } = {}) {
    super({
      code: 'aborted',
      message: options.message ?? 'The operation was aborted by its AbortSignal.',
      cause: options.cause,
    });
    this.name = 'AbortError';
  }
  static override isInstance(error: unknown): error is AbortError {
    return LlmrError.hasMarker(error, 'llmr.error.AbortError');
  }
}

const disposed = markerOf('ModelDisposedError');
/** A call reached a model (or session) after `dispose()`/`release()`. */
export class ModelDisposedError extends LlmrError {
  private readonly [disposed] = true;
  readonly modelId: string;
  constructor(options: { modelId: string; message?: string }) {
    super({
      code: 'model-disposed',
      message:
        options.message ??
        `Model "${options.modelId}" has been disposed; load it again before calling it.`,
    });
    this.name = 'ModelDisposedError';
    this.modelId = options.modelId;
  }
  static override isInstance(error: unknown): error is ModelDisposedError {
    return LlmrError.hasMarker(error, 'llmr.error.ModelDisposedError');
  }
}

const loadError = markerOf('LoadError');
/** A loader could not load a source. */
export class LoadError extends LlmrError {
  private readonly [loadError] = true;
  readonly source: string;
  constructor(options: {
    source: string;
    message: string;
    code?: string;
    cause?: unknown;
    isRetryable?: boolean;
  }) {
    super({
      code: options.code ?? 'load-failed',
      message: options.message,
      cause: options.cause,
      isRetryable: options.isRetryable,
    });
    this.name = 'LoadError';
    this.source = options.source;
  }
  static override isInstance(error: unknown): error is LoadError {
    return LlmrError.hasMarker(error, 'llmr.error.LoadError');
  }
}

const noLoader = markerOf('NoSuchLoaderError');
/** No registered loader accepted a source. */
export class NoSuchLoaderError extends LlmrError {
  private readonly [noLoader] = true;
  readonly source: string;
  readonly tried: readonly string[];
  constructor(options: { source: string; tried: readonly string[] }) {
    const tried = options.tried.length
      ? `Registered loaders (${options.tried.join(', ')}) all declined it.`
      : 'No loaders are registered: register one (e.g. @llmr/loader-gguf) first.';
    super({ code: 'no-such-loader', message: `No loader can load "${options.source}". ${tried}` });
    this.name = 'NoSuchLoaderError';
    this.source = options.source;
    this.tried = options.tried;
  }
  static override isInstance(error: unknown): error is NoSuchLoaderError {
    return LlmrError.hasMarker(error, 'llmr.error.NoSuchLoaderError');
  }
}

const unsupported = markerOf('UnsupportedFunctionalityError');
/** The model or plugin cannot do what was asked (e.g. tools on a model without them). */
export class UnsupportedFunctionalityError extends LlmrError {
  private readonly [unsupported] = true;
  readonly functionality: string;
  constructor(options: { functionality: string; message?: string }) {
    super({
      code: 'unsupported-functionality',
      message: options.message ?? `"${options.functionality}" is not supported here.`,
    });
    this.name = 'UnsupportedFunctionalityError';
    this.functionality = options.functionality;
  }
  static override isInstance(error: unknown): error is UnsupportedFunctionalityError {
    return LlmrError.hasMarker(error, 'llmr.error.UnsupportedFunctionalityError');
  }
}

const parse = markerOf('ParseError');
/** A file or payload could not be parsed: bad magic, out-of-bounds offset, limit exceeded. */
export class ParseError extends LlmrError {
  private readonly [parse] = true;
  /** Format being parsed, e.g. `gguf`, `safetensors`, `tokenizer.json`. */
  readonly format: string;
  /** Byte offset (or other position) where the problem was found, when known. */
  readonly offset?: number;
  constructor(options: {
    format: string;
    code: string;
    message: string;
    offset?: number;
    cause?: unknown;
  }) {
    super({ code: options.code, message: options.message, cause: options.cause });
    this.name = 'ParseError';
    this.format = options.format;
    this.offset = options.offset;
  }
  static override isInstance(error: unknown): error is ParseError {
    return LlmrError.hasMarker(error, 'llmr.error.ParseError');
  }
}

const busy = markerOf('BusyError');
/** A bounded queue is full. Retry later or elsewhere. */
export class BusyError extends LlmrError {
  private readonly [busy] = true;
  readonly queueLimit: number;
  constructor(options: { queueLimit: number; message?: string }) {
    super({
      code: 'busy',
      isRetryable: true,
      message:
        options.message ??
        `The request queue is full (${options.queueLimit} waiting); retry later.`,
    });
    this.name = 'BusyError';
    this.queueLimit = options.queueLimit;
  }
  static override isInstance(error: unknown): error is BusyError {
    return LlmrError.hasMarker(error, 'llmr.error.BusyError');
  }
}

const timeout = markerOf('TimeoutError');
/** An operation ran past its deadline. */
export class TimeoutError extends LlmrError {
  private readonly [timeout] = true;
  readonly timeoutMs: number;
  constructor(options: { timeoutMs: number; message?: string }) {
    super({
      code: 'timeout',
      isRetryable: true,
      message: options.message ?? `The operation timed out after ${options.timeoutMs} ms.`,
    });
    this.name = 'TimeoutError';
    this.timeoutMs = options.timeoutMs;
  }
  static override isInstance(error: unknown): error is TimeoutError {
    return LlmrError.hasMarker(error, 'llmr.error.TimeoutError');
  }
}

const generation = markerOf('GenerationError');
/** Generation failed inside a model's runtime. */
export class GenerationError extends LlmrError {
  private readonly [generation] = true;
  readonly modelId: string;
  constructor(options: {
    modelId: string;
    message: string;
    code?: string;
    cause?: unknown;
    isRetryable?: boolean;
  }) {
    super({
      code: options.code ?? 'generation-failed',
      message: options.message,
      cause: options.cause,
      isRetryable: options.isRetryable,
    });
    this.name = 'GenerationError';
    this.modelId = options.modelId;
  }
  static override isInstance(error: unknown): error is GenerationError {
    return LlmrError.hasMarker(error, 'llmr.error.GenerationError');
  }
}

const apiCall = markerOf('APICallError');
/** An HTTP call to an upstream failed. Retryable for 408, 409, 429 and 5xx. */
export class APICallError extends LlmrError {
  private readonly [apiCall] = true;
  readonly url: string;
  readonly statusCode?: number;
  readonly responseBody?: string;
  /** How long the upstream asked callers to wait (`retry-after-ms` / `Retry-After`); the router's retry honours it. */
  readonly retryAfterMs?: number;
  readonly responseHeaders?: Record<string, string>;
  constructor(options: {
    url: string;
    message: string;
    statusCode?: number;
    responseBody?: string;
    retryAfterMs?: number;
    responseHeaders?: Record<string, string>;
    cause?: unknown;
    isRetryable?: boolean;
  }) {
    const status = options.statusCode;
    super({
      code: 'api-call-failed',
      message: options.message,
      cause: options.cause,
      isRetryable:
        options.isRetryable ??
        (status != null && (status === 408 || status === 409 || status === 429 || status >= 500)),
    });
    this.name = 'APICallError';
    this.url = options.url;
    this.statusCode = options.statusCode;
    this.responseBody = options.responseBody;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.responseHeaders !== undefined) this.responseHeaders = options.responseHeaders;
  }
  static override isInstance(error: unknown): error is APICallError {
    return LlmrError.hasMarker(error, 'llmr.error.APICallError');
  }
}

const contentPolicy = markerOf('ContentPolicyError');
/**
 * A guardrail refused a request or an answer (a deny-listed phrase, a prompt over its
 * token limit, a secret in the output). Request-specific: no other model would be
 * allowed to answer it either, so a router does not fall back, and a server answers 4xx.
 */
export class ContentPolicyError extends LlmrError {
  private readonly [contentPolicy] = true;
  /** The rule that matched, e.g. `deny-list:internal-codename`, `max-input-tokens`. */
  readonly ruleId: string;
  /** The stage that applied the rule. */
  readonly stage: string;
  readonly direction: 'input' | 'output';
  constructor(options: {
    ruleId: string;
    stage: string;
    direction: 'input' | 'output';
    message: string;
  }) {
    super({ code: 'content-blocked', message: options.message });
    this.name = 'ContentPolicyError';
    this.ruleId = options.ruleId;
    this.stage = options.stage;
    this.direction = options.direction;
  }
  static override isInstance(error: unknown): error is ContentPolicyError {
    return LlmrError.hasMarker(error, 'llmr.error.ContentPolicyError');
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ruleId: this.ruleId, stage: this.stage, direction: this.direction };
  }
}
