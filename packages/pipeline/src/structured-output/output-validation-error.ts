import { LlmrError } from '@llmr/core';

const marker = Symbol.for('llmr.error.OutputValidationError');

/**
 * A model's answer did not match the JSON schema the request asked for, even after a
 * retry that showed it the problems. Not the caller's fault: a router falls back to the
 * next model, which may do better.
 */
export class OutputValidationError extends LlmrError {
  private readonly [marker] = true;
  /** Ajv's errors as `path: message` lines, or the JSON parse error. */
  readonly problems: string[];
  readonly output: string;
  constructor(options: { modelId: string; problems: string[]; output: string; attempts: number }) {
    super({
      code: 'output-invalid',
      message: `Model "${options.modelId}" answered ${options.attempts} time${options.attempts === 1 ? '' : 's'} without JSON that matches the requested schema: ${options.problems.slice(0, 5).join('; ')}. Use a model with the json-schema capability, or simplify the schema.`,
    });
    this.name = 'OutputValidationError';
    this.problems = options.problems;
    this.output = options.output;
  }
  static override isInstance(error: unknown): error is OutputValidationError {
    return LlmrError.hasMarker(error, 'llmr.error.OutputValidationError');
  }
}
