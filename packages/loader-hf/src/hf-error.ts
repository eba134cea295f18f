/**
 * The one error this package throws (a LoadError, so the registry and the CLI treat it
 * like any failed load), with the facts a caller may act on: the HTTP status, what was
 * missing, what the repo has instead.
 */
import { LlmrError, LoadError } from '@llmr/core';

export type HfErrorCode =
  | 'hf-unauthorized'
  | 'hf-forbidden'
  | 'hf-repo-not-found'
  | 'hf-revision-not-found'
  | 'hf-file-not-found'
  | 'hf-ambiguous-file'
  | 'hf-rate-limited'
  | 'hf-server-error'
  | 'hf-network-error'
  | 'hf-download-interrupted'
  | 'hf-checksum-mismatch'
  | 'hf-disk-full'
  | 'hf-offline-cache-miss'
  | 'hf-no-format-loader'
  | 'hf-no-registry'
  | 'hf-invalid-response'
  | 'hf-file-system-error';

const marker = Symbol.for('llmr.error.HfError');

export class HfError extends LoadError {
  private readonly [marker] = true;
  declare readonly code: HfErrorCode;
  readonly repo: string;
  readonly statusCode?: number;
  readonly url?: string;
  /** Files (or refs) that were needed and are not there. */
  readonly missing?: string[];
  /** What the repo (or the cache) has instead. */
  readonly available?: string[];

  constructor(options: {
    code: HfErrorCode;
    message: string;
    source: string;
    repo: string;
    statusCode?: number;
    url?: string;
    missing?: string[];
    available?: string[];
    cause?: unknown;
    isRetryable?: boolean;
  }) {
    super({
      source: options.source,
      code: options.code,
      message: options.message,
      cause: options.cause,
      isRetryable: options.isRetryable,
    });
    this.name = 'HfError';
    this.repo = options.repo;
    this.statusCode = options.statusCode;
    this.url = options.url;
    this.missing = options.missing;
    this.available = options.available;
  }

  static override isInstance(error: unknown): error is HfError {
    return LlmrError.hasMarker(error, 'llmr.error.HfError');
  }
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** A short list for a message: the first `limit` items and how many more. */
export function listForMessage(items: readonly string[], limit = 20): string {
  if (items.length === 0) return '(nothing)';
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}
