/**
 * Errors the router itself raises. Both are LlmrErrors with their own `Symbol.for`
 * markers, so `RouterError.isInstance` works across duplicate installs.
 */
import { LlmrError } from '@llmr/core';
import type { AttemptInfo, RoutingInfo } from './types';

const routerMarker = Symbol.for('llmr.error.RouterError');

/**
 * Stable codes:
 * - `model-not-found`: the request named a model, alias or route the router does not know.
 * - `no-candidates`: nothing can serve the request (capabilities, open circuits); see `routing.excluded`.
 * - `budget-exceeded`: the route's budget for the current window is spent.
 * - `all-candidates-failed`: every candidate failed before its first token; see `attempts`.
 * - `router-disposed`: the router was disposed.
 */
export class RouterError extends LlmrError {
  private readonly [routerMarker] = true;
  /** What the router tried, in order (empty when it never called a model). */
  readonly attempts: AttemptInfo[];
  /** The routing decision so far, when there was one. */
  readonly routing?: RoutingInfo;
  /** When retrying may help after a known wait (budget windows). */
  readonly retryAfterMs?: number;

  constructor(options: {
    code: string;
    message: string;
    cause?: unknown;
    isRetryable?: boolean;
    attempts?: AttemptInfo[];
    routing?: RoutingInfo;
    retryAfterMs?: number;
  }) {
    super({
      code: options.code,
      message: options.message,
      cause: options.cause,
      isRetryable: options.isRetryable,
    });
    this.name = 'RouterError';
    this.attempts = options.attempts ?? [];
    this.routing = options.routing;
    this.retryAfterMs = options.retryAfterMs;
  }

  static override isInstance(error: unknown): error is RouterError {
    return LlmrError.hasMarker(error, 'llmr.error.RouterError');
  }
}

const configMarker = Symbol.for('llmr.error.RouterConfigError');

export interface RouterConfigIssue {
  /** Dotted field path, e.g. `routes.chat.strategy` or `models[2].pricing.input`. */
  path: string;
  message: string;
  /** 1-based line and column in the config file, when it came from text. */
  line?: number;
  column?: number;
}

/** A router config failed validation. `issues` lists every problem with its path (and line). */
export class RouterConfigError extends LlmrError {
  private readonly [configMarker] = true;
  readonly issues: RouterConfigIssue[];
  readonly file?: string;

  constructor(options: {
    issues: RouterConfigIssue[];
    file?: string;
    message?: string;
    cause?: unknown;
  }) {
    const where = options.file ? ` in ${options.file}` : '';
    const lines = options.issues.map((issue) => `  - ${formatIssue(issue)}`).join('\n');
    super({
      code: 'router-config-invalid',
      message:
        options.message ??
        `Invalid router config${where} (${options.issues.length} problem${options.issues.length === 1 ? '' : 's'}):\n${lines}`,
      cause: options.cause,
    });
    this.name = 'RouterConfigError';
    this.issues = options.issues;
    this.file = options.file;
  }

  static override isInstance(error: unknown): error is RouterConfigError {
    return LlmrError.hasMarker(error, 'llmr.error.RouterConfigError');
  }
}

export function formatIssue(issue: RouterConfigIssue): string {
  const at =
    issue.line !== undefined
      ? ` (line ${issue.line}${issue.column !== undefined ? `, column ${issue.column}` : ''})`
      : '';
  return `${issue.path || '(root)'}${at}: ${issue.message}`;
}
