/**
 * Typed reads of tokenizer.json fields. Every failure is a ParseError that names the field
 * by its path (`model.merges[12]`), so a broken file says where it is broken.
 */
import { ParseError } from '@llmr/core';

export type JsonObject = Record<string, unknown>;

/** Upper bounds on what a tokenizer file may declare, so absurd sizes fail fast. */
export const MAX_VOCABULARY_SIZE = 4_000_000;
export const MAX_MERGES = 8_000_000;
export const MAX_NESTING_DEPTH = 32;

export function tokenizerJsonError(path: string, message: string, cause?: unknown): ParseError {
  return new ParseError({
    format: 'tokenizer.json',
    code: 'tokenizer-json-invalid',
    message: `tokenizer.json: "${path}" ${message}`,
    cause,
  });
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readObject(value: unknown, path: string): JsonObject {
  if (!isObject(value))
    throw tokenizerJsonError(path, `must be an object, got ${describe(value)}.`);
  return value;
}

export function readArray(
  value: unknown,
  path: string,
  maxLength = MAX_VOCABULARY_SIZE,
): unknown[] {
  if (!Array.isArray(value))
    throw tokenizerJsonError(path, `must be an array, got ${describe(value)}.`);
  if (value.length > maxLength) {
    throw tokenizerJsonError(
      path,
      `has ${value.length} entries, more than the limit of ${maxLength}.`,
    );
  }
  return value;
}

export function readString(object: JsonObject, key: string, path: string): string {
  const value = object[key];
  if (typeof value !== 'string') {
    throw tokenizerJsonError(`${path}.${key}`, `must be a string, got ${describe(value)}.`);
  }
  return value;
}

export function readOptionalString(
  object: JsonObject,
  key: string,
  path: string,
): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw tokenizerJsonError(`${path}.${key}`, `must be a string or null, got ${describe(value)}.`);
  }
  return value;
}

export function readBoolean(
  object: JsonObject,
  key: string,
  path: string,
  fallback: boolean,
): boolean {
  const value = object[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    throw tokenizerJsonError(`${path}.${key}`, `must be true or false, got ${describe(value)}.`);
  }
  return value;
}

export function readInteger(
  object: JsonObject,
  key: string,
  path: string,
  fallback?: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = object[key];
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw tokenizerJsonError(
      `${path}.${key}`,
      `must be an integer between 0 and ${max}, got ${describe(value)}.`,
    );
  }
  return value;
}

export function readTokenId(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 31) {
    throw tokenizerJsonError(
      path,
      `must be a token id (an integer from 0), got ${describe(value)}.`,
    );
  }
  return value;
}

/** A `{ "String": "..." }` or `{ "Regex": "..." }` pattern object. */
export function readPattern(
  object: JsonObject,
  key: string,
  path: string,
): { kind: 'string' | 'regex'; source: string } {
  const pattern = readObject(object[key], `${path}.${key}`);
  if (typeof pattern.String === 'string') return { kind: 'string', source: pattern.String };
  if (typeof pattern.Regex === 'string') return { kind: 'regex', source: pattern.Regex };
  throw tokenizerJsonError(`${path}.${key}`, 'must be {"String": "..."} or {"Regex": "..."}.');
}
