import type { TokenizerV1 } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { createLogprobFormatter, promptTokens, samplerOptionsFor } from './call-options';

/** A test double: one token per character, id = char code; a template that tags turns. */
const tokenizer: TokenizerV1 = {
  specificationVersion: 'v1',
  vocabularySize: 256,
  specialTokens: { bos: 1, all: [1] },
  encode: (text, { addSpecialTokens = true } = {}) => [
    ...(addSpecialTokens ? [1] : []),
    ...Array.from(text, (character) => character.charCodeAt(0)),
  ],
  decode: (ids) => String.fromCharCode(...ids),
  createStreamDecoder: () => ({ push: () => '', flush: () => '' }),
  applyChatTemplate: (messages) => messages.map((message) => `<${message.content}>`).join(''),
};

describe('call options for runtimes that sample their own logits', () => {
  it('encodes raw prompts with special tokens and chats through the template without', () => {
    const settings = { modelId: 'm', hasChatTemplate: true };
    expect(promptTokens(tokenizer, { prompt: 'hi' }, settings)).toEqual([1, 104, 105]);
    expect(
      promptTokens(tokenizer, { messages: [{ role: 'user', content: 'a' }] }, settings),
    ).toEqual([60, 97, 62]);
    expect(() =>
      promptTokens(
        tokenizer,
        { messages: [{ role: 'user', content: 'a' }] },
        { modelId: 'm', hasChatTemplate: false },
      ),
    ).toThrow(/no chat template/);
  });

  it('is greedy unless asked; a sampling generation config supplies defaults the call overrides', () => {
    expect(samplerOptionsFor({ prompt: 'x' }).temperature).toBe(0);
    const config = { do_sample: true, temperature: 0.6, top_p: 0.9, top_k: 20 };
    expect(samplerOptionsFor({ prompt: 'x' }, config)).toMatchObject({
      temperature: 0.6,
      topP: 0.9,
      topK: 20,
    });
    expect(
      samplerOptionsFor({ prompt: 'x', temperature: 1, topK: 5, seed: 3 }, config),
    ).toMatchObject({
      temperature: 1,
      topK: 5,
      topP: 0.9,
      seed: 3,
    });
    expect(samplerOptionsFor({ prompt: 'x' }, { top_k: 20 }).topK).toBeUndefined();
  });

  it('formats logprobs with token text, bytes and alternatives', () => {
    const format = createLogprobFormatter(tokenizer, (token) =>
      token === 65 ? new Uint8Array([65]) : undefined,
    );
    expect(format(65, -0.5, [{ token: 66, logprob: -1 }])).toEqual({
      token: 'A',
      logprob: -0.5,
      bytes: [65],
      topLogprobs: [{ token: 'B', logprob: -1 }],
    });
  });
});
