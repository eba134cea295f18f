import { describe, expect, it } from 'vitest';
import { AbortError, GenerationError } from '../errors/errors';
import type { ModelV1FinishReason } from '../model/v1/model-v1-result';
import type { TokenizerV1 } from '../tokenizer/v1/tokenizer-v1';
import { collectStream } from './collect-stream';
import {
  type CreateTokenStreamOptions,
  createTokenStream,
  generateTokens,
} from './create-token-stream';
import { createUtf8StreamDecoder } from './utf8-stream-decoder';

const EOS = 256;
/** Tokens are UTF-8 bytes; 256 is end of sequence. */
const bytes: TokenizerV1 = {
  specificationVersion: 'v1',
  vocabularySize: 257,
  specialTokens: { eos: EOS, all: [EOS] },
  encode: (text) => Array.from(new TextEncoder().encode(text)),
  decode: (tokens) => new TextDecoder().decode(Uint8Array.from(tokens.filter((t) => t < 256))),
  createStreamDecoder: () => {
    const decoder = createUtf8StreamDecoder();
    return {
      push: (token) => (token < 256 ? decoder.push(Uint8Array.of(token)) : ''),
      flush: () => decoder.flush(),
    };
  },
};

interface Case {
  name: string;
  text: string;
  options?: Partial<CreateTokenStreamOptions>;
  /** Append end of sequence after the text (else the token function returns undefined). */
  eos?: boolean;
  logprobs?: boolean;
}

function optionsFor(spec: Case, ends: ModelV1FinishReason[]): CreateTokenStreamOptions {
  const tokens = [...bytes.encode(spec.text), ...(spec.eos ? [EOS] : [])];
  let index = 0;
  return {
    modelId: 'bytes',
    tokenizer: bytes,
    inputTokens: 3,
    maxTokens: 64,
    metadata: { source: 'test' },
    nextToken: async () => {
      const token = tokens[index++];
      if (token === undefined) return undefined;
      return spec.logprobs
        ? { token, logprob: { token: String(token), logprob: -index / 10, topLogprobs: [] } }
        : { token };
    },
    onEnd: (reason) => ends.push(reason),
    ...spec.options,
  };
}

const cases: Case[] = [
  { name: 'plain text to the end', text: 'hello world' },
  { name: 'end of sequence', text: 'bye', eos: true },
  { name: 'max tokens', text: 'a long answer', options: { maxTokens: 4 } },
  { name: 'multi-byte characters', text: 'héllo ✓ 🙂', logprobs: true },
  { name: 'cut inside a character', text: '🙂🙂', options: { maxTokens: 6 } },
  { name: 'a stop sequence', text: 'one two three', options: { stopSequences: ['two'] } },
  {
    name: 'a stop prefix that does not match',
    text: 'tw tx',
    options: { stopSequences: ['two'], cachedInputTokens: 2 },
  },
  { name: 'no tokens', text: '' },
];

describe('generateTokens', () => {
  it.each(cases)('folds what the stream sends: $name', async (spec) => {
    const streamEnds: ModelV1FinishReason[] = [];
    const generateEnds: ModelV1FinishReason[] = [];
    const streamed = await collectStream(createTokenStream(optionsFor(spec, streamEnds)), {
      modelId: 'bytes',
    });
    const { firstTokenMs, ...generated } = await generateTokens(optionsFor(spec, generateEnds));
    expect(generated).toEqual(streamed);
    // The time to the first token, whenever there was one.
    expect(firstTokenMs === undefined).toBe(streamed.usage.outputTokens === 0);
    expect(generateEnds).toEqual(streamEnds);
    expect(generateEnds).toHaveLength(1);
  });

  it('gives the stop sequence and the exact token count', async () => {
    const result = await generateTokens(
      optionsFor({ name: '', text: 'one two three', options: { stopSequences: ['two'] } }, []),
    );
    expect(result.text).toBe('one ');
    expect(result.finishReason).toBe('stop');
    expect(result.metadata).toEqual({ source: 'test', stopSequence: 'two' });
    expect(result.usage).toEqual({ inputTokens: 3, outputTokens: 7 });
    expect(result.tokens).toEqual(bytes.encode('one two'));
  });

  it('times the first token from when the call began', async () => {
    const waitedForASlot = performance.now() - 1000;
    const result = await generateTokens({
      ...optionsFor({ name: '', text: 'hi' }, []),
      startedAt: waitedForASlot,
    });
    expect(result.firstTokenMs).toBeGreaterThanOrEqual(1000);
    expect(result.firstTokenMs).toBeLessThan(60_000);
  });

  it('throws what the stream sends as its error part, and ends once', async () => {
    const ends: ModelV1FinishReason[] = [];
    let calls = 0;
    const failing = {
      ...optionsFor({ name: '', text: 'abc' }, ends),
      nextToken: () => {
        if (++calls === 3) throw new Error('runtime broke');
        return { token: 97 };
      },
    };
    const error = await generateTokens(failing).catch((caught: unknown) => caught);
    expect(GenerationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('Generation failed: runtime broke');
    expect(ends).toEqual(['error']);
  });

  it('turns a failure after the signal fired into an abort', async () => {
    const ends: ModelV1FinishReason[] = [];
    const controller = new AbortController();
    const aborting = {
      ...optionsFor({ name: '', text: 'abc' }, ends),
      abortSignal: controller.signal,
      nextToken: () => {
        controller.abort(new Error('client left'));
        throw new DOMException('stopped', 'AbortError');
      },
    };
    const error = await generateTokens(aborting).catch((caught: unknown) => caught);
    expect(AbortError.isInstance(error)).toBe(true);
    expect(ends).toEqual(['abort']);
  });

  it('refuses to start once aborted', async () => {
    const ends: ModelV1FinishReason[] = [];
    let asked = 0;
    const options = {
      ...optionsFor({ name: '', text: 'abc' }, ends),
      abortSignal: AbortSignal.abort(),
      nextToken: () => {
        asked++;
        return { token: 97 };
      },
    };
    await expect(generateTokens(options)).rejects.toSatisfy(AbortError.isInstance);
    expect(asked).toBe(0);
    expect(ends).toEqual(['abort']);
  });
});
