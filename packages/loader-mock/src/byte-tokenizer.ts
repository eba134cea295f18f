/**
 * A byte-level tokenizer: one token per UTF-8 byte (ids 0-255) plus BOS (256) and
 * EOS (257). Tiny and exact, and it exercises what real tokenizers make hard:
 * multi-byte characters split across tokens.
 */
import type { ModelV1Message, TokenizerV1 } from '@llmr/core';
import { createUtf8StreamDecoder } from '@llmr/core';

export const BOS = 256;
export const EOS = 257;
const encoder = new TextEncoder();

export function renderChat(messages: ModelV1Message[], addGenerationPrompt = true): string {
  const rendered = messages.map((message) => `<|${message.role}|>${message.content}\n`).join('');
  return addGenerationPrompt ? `${rendered}<|assistant|>` : rendered;
}

export function createByteTokenizer(): TokenizerV1 {
  const bytesOf = (tokens: readonly number[]) =>
    Uint8Array.from(tokens.filter((token) => token < 256));
  return {
    specificationVersion: 'v1',
    vocabularySize: 258,
    specialTokens: { bos: BOS, eos: EOS, all: [BOS, EOS] },
    encode(text, { addSpecialTokens = true } = {}) {
      const ids = Array.from(encoder.encode(text));
      return addSpecialTokens ? [BOS, ...ids] : ids;
    },
    decode(tokens) {
      return new TextDecoder().decode(bytesOf(tokens));
    },
    createStreamDecoder() {
      const decoder = createUtf8StreamDecoder();
      return {
        push: (token) => (token < 256 ? decoder.push(Uint8Array.of(token)) : ''),
        flush: () => decoder.flush(),
      };
    },
    applyChatTemplate(messages, options = {}) {
      return renderChat(messages, options.addGenerationPrompt ?? true);
    },
  };
}
