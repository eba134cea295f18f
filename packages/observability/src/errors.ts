/** The errors of @llmr/observability: one class, stable codes, messages that say what to do. */
import { LlmrError } from '@llmr/core';

const marker = Symbol.for('llmr.error.ObservabilityError');

export class ObservabilityError extends LlmrError {
  private readonly [marker] = true;
  constructor(options: { code: string; message: string; cause?: unknown; isRetryable?: boolean }) {
    super(options);
    this.name = 'ObservabilityError';
  }
  static override isInstance(error: unknown): error is ObservabilityError {
    return LlmrError.hasMarker(error, 'llmr.error.ObservabilityError');
  }
}

/**
 * Imports an optional peer dependency, or says which package to install (`packageName` when
 * the specifier is a subpath export such as `@opentelemetry/otlp-exporter-base/node-http`).
 */
export async function importOptional<T>(
  specifier: string,
  feature: string,
  packageName = specifier,
): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    throw new ObservabilityError({
      code: 'missing-dependency',
      message: `${feature} needs the package "${packageName}". Install it: npm i ${packageName}`,
      cause: error,
    });
  }
}
