/**
 * Reading a stage's options: they come from config files as plain JSON, so each field is
 * checked with a message naming the stage, the field and what it must be.
 */
import { InvalidArgumentError } from '@llmr/core';

export class StageOptions {
  constructor(
    private readonly stage: string,
    private readonly options: Record<string, unknown>,
    known: readonly string[],
  ) {
    for (const key of Object.keys(options)) {
      if (!known.includes(key))
        this.fail(
          key,
          options[key],
          `is not an option of this stage (it takes: ${known.join(', ')})`,
        );
    }
  }

  fail(field: string, value: unknown, what: string): never {
    throw new InvalidArgumentError({
      argument: `${this.stage}.${field}`,
      value,
      message: `${this.stage}: \`${field}\` ${what}.`,
    });
  }

  boolean(field: string): boolean | undefined {
    const value = this.options[field];
    if (value === undefined || typeof value === 'boolean') return value;
    return this.fail(field, value, 'must be true or false');
  }

  string(field: string): string | undefined {
    const value = this.options[field];
    if (value === undefined || typeof value === 'string') return value;
    return this.fail(field, value, 'must be a string');
  }

  positiveInteger(field: string): number | undefined {
    const value = this.options[field];
    if (value === undefined || (Number.isInteger(value) && (value as number) > 0))
      return value as number | undefined;
    return this.fail(field, value, 'must be a positive integer');
  }

  strings(field: string): string[] | undefined {
    const value = this.options[field];
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
    return this.fail(field, value, 'must be a list of strings');
  }

  record(field: string): Record<string, unknown> | undefined {
    const value = this.options[field];
    if (value === undefined) return undefined;
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
    return this.fail(field, value, 'must be an object');
  }

  raw(field: string): unknown {
    return this.options[field];
  }
}
