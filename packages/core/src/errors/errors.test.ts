import { describe, expect, it } from 'vitest';
import {
  AbortError,
  APICallError,
  BusyError,
  InvalidArgumentError,
  LlmrError,
  ParseError,
} from '../index';

describe('LlmrError family', () => {
  it('recognises errors by marker, not by prototype, across copies of core', () => {
    const foreign = Object.assign(new Error('from another copy'), {
      [Symbol.for('llmr.error')]: true,
      [Symbol.for('llmr.error.ParseError')]: true,
    });
    expect(LlmrError.isInstance(foreign)).toBe(true);
    expect(ParseError.isInstance(foreign)).toBe(true);
    expect(InvalidArgumentError.isInstance(foreign)).toBe(false);
    expect(LlmrError.isInstance(new Error('plain'))).toBe(false);
    expect(LlmrError.isInstance(null)).toBe(false);
    expect(LlmrError.isInstance('string')).toBe(false);
  });

  it('subclasses are LlmrErrors with stable codes and typed fields', () => {
    const error = new ParseError({
      format: 'gguf',
      code: 'gguf-invalid-magic',
      message: 'bad magic',
      offset: 0,
    });
    expect(LlmrError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'gguf-invalid-magic',
      format: 'gguf',
      offset: 0,
      isRetryable: false,
      name: 'ParseError',
    });
    expect(new AbortError().code).toBe('aborted');
    expect(new BusyError({ queueLimit: 3 }).isRetryable).toBe(true);
  });

  it('APICallError computes isRetryable from the status', () => {
    const retryable = [408, 409, 429, 500, 503].map(
      (statusCode) => new APICallError({ url: 'u', message: 'm', statusCode }).isRetryable,
    );
    const final = [400, 401, 404].map(
      (statusCode) => new APICallError({ url: 'u', message: 'm', statusCode }).isRetryable,
    );
    expect(retryable.every(Boolean)).toBe(true);
    expect(final.some(Boolean)).toBe(false);
  });

  it('keeps the cause and serialises without it', () => {
    const cause = new Error('root');
    const error = new LlmrError({ code: 'x', message: 'outer', cause });
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'LlmrError',
      code: 'x',
      message: 'outer',
      isRetryable: false,
    });
  });
});
