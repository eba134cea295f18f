import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/errors';
import type { ModelV1CallOptions } from '../model/v1/model-v1-call-options';
import { validateCallOptions } from './validate-call-options';

const bad = (options: unknown) => () => validateCallOptions(options as ModelV1CallOptions);

describe('validateCallOptions', () => {
  it('accepts good chat and completion options', () => {
    expect(() =>
      validateCallOptions({ prompt: 'x', maxTokens: 3, temperature: 0, topP: 1, seed: -5 }),
    ).not.toThrow();
    expect(() =>
      validateCallOptions({ messages: [{ role: 'tool', toolCallId: 'a', content: '{}' }] }),
    ).not.toThrow();
  });

  it.each([
    [null, /must be an object/],
    [{}, /exactly one of `messages`/],
    [{ prompt: 'x', messages: [] }, /exactly one of/],
    [{ prompt: 3 }, /`prompt` must be a string/],
    [{ messages: [] }, /non-empty array/],
    [{ messages: [{ role: 'robot', content: 'x' }] }, /messages\[0\]\.role must be one of/],
    [{ messages: [{ role: 'user', content: 3 }] }, /messages\[0\]\.content must be a string/],
    [{ messages: [{ role: 'tool', content: 'x' }] }, /needs a toolCallId/],
    [{ prompt: 'x', maxTokens: 0 }, /maxTokens must be greater than 0/],
    [{ prompt: 'x', maxTokens: 1.5 }, /maxTokens must be an integer/],
    [{ prompt: 'x', temperature: -1 }, /temperature must be at least 0/],
    [{ prompt: 'x', temperature: '1' }, /temperature must be a finite number/],
    [{ prompt: 'x', topP: 0 }, /topP must be greater than 0/],
    [{ prompt: 'x', frequencyPenalty: 3 }, /frequencyPenalty must be at most 2/],
    [{ prompt: 'x', stopSequences: [''] }, /non-empty strings/],
    [{ prompt: 'x', topLogprobs: 21 }, /topLogprobs must be at most 20/],
  ])('rejects %j', (options, message) => {
    expect(bad(options)).toThrow(InvalidArgumentError);
    expect(bad(options)).toThrow(message);
  });
});
