/** The TokenizerV1 surface: special tokens, batch, counting, offsets, streaming decode, loading from a directory. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlmrError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from './__fixtures__/corpus';
import {
  bertTokenizer,
  sentencePieceBpeTokenizer,
  unigramTokenizer,
} from './__fixtures__/hand-made';
import { loadRealTokenizer } from './__fixtures__/reference';
import { loadTokenizer, loadTokenizerFromDirectory } from './load-tokenizer';
import type { Tokenizer } from './tokenizer';
import { toWellFormed } from './unicode';

let llama3: Tokenizer;
let llama2: Tokenizer;
let qwen3: Tokenizer;
beforeAll(() => {
  for (const name of ['llama3', 'llama2', 'qwen3'] as const) {
    const { json, config } = loadRealTokenizer(name);
    const tokenizer = loadTokenizer(json, config);
    if (name === 'llama3') llama3 = tokenizer;
    else if (name === 'llama2') llama2 = tokenizer;
    else qwen3 = tokenizer;
  }
});

describe('Tokenizer', () => {
  it('implements TokenizerV1 with special tokens from tokenizer_config.json', () => {
    expect(llama3.specificationVersion).toBe('v1');
    expect(llama3.vocabularySize).toBe(128256);
    expect(llama3.specialTokens).toMatchObject({ bos: 128000, eos: 128001 });
    expect(llama3.specialTokens.all).toHaveLength(256);
    expect(qwen3.specialTokens).toMatchObject({ eos: 151645, pad: 151643 });
    expect(qwen3.specialTokens.bos).toBeUndefined();
    expect(llama2.specialTokens).toMatchObject({ bos: 1, eos: 2, unk: 0, all: [0, 1, 2] });
    expect(llama2.modelType).toBe('BPE');
    expect(llama2.tokenToId('<s>')).toBe(1);
    expect(llama2.idToToken(1)).toBe('<s>');
  });

  it('guesses special tokens by name without a config', () => {
    const tokenizer = loadTokenizer(sentencePieceBpeTokenizer());
    expect(tokenizer.specialTokens).toMatchObject({ bos: 1, eos: 2, unk: 0 });
    expect(loadTokenizer(bertTokenizer()).specialTokens).toMatchObject({ unk: 1, pad: 0 });
  });

  it('encodes with and without template tokens, in batches, and counts', () => {
    const ids = llama2.encode('Hello world');
    expect(ids[0]).toBe(1);
    expect(llama2.encode('Hello world', { addSpecialTokens: false })).toEqual(ids.slice(1));
    expect(llama2.encodeBatch(['Hello world', 'x'])).toEqual([ids, llama2.encode('x')]);
    expect(llama2.countTokens('Hello world')).toBe(ids.length);
    expect(llama2.encode('')).toEqual([1]);
    expect(qwen3.encode('')).toEqual([]);
  });

  it('reports offsets that slice the input back into each token', () => {
    const text = 'Héllo, 世界! 👨‍👩‍👧 done';
    const encoding = llama3.encodeWithOffsets(text);
    expect(encoding.ids).toEqual(llama3.encode(text));
    expect(encoding.tokens).toHaveLength(encoding.ids.length);
    expect(encoding.specialTokensMask.every((flag) => flag === 0)).toBe(true);
    expect(text.slice(...encoding.offsets[0]!)).toBe('H');
    // Tokens that hold part of a character (the emoji's bytes) share that character's range.
    let end = 0;
    for (const [start, stop] of encoding.offsets) {
      expect(start === end || start < end).toBe(true);
      end = stop;
    }
    expect(end).toBe(text.length);
    const ascii = llama3.encodeWithOffsets('Hello, world! 123');
    expect(
      ascii.offsets.map(([start, stop]) => 'Hello, world! 123'.slice(start, stop)).join(''),
    ).toBe('Hello, world! 123');
    const withBos = llama2.encodeWithOffsets('Hi');
    expect(withBos.specialTokensMask[0]).toBe(1);
    expect(withBos.offsets[0]).toEqual([0, 0]);
  });

  it('decodes with and without special tokens', () => {
    const ids = llama3.encode('<|begin_of_text|>Hi there<|eot_id|>');
    expect(llama3.decode(ids)).toBe('<|begin_of_text|>Hi there<|eot_id|>');
    expect(llama3.decode(ids, { skipSpecialTokens: true })).toBe('Hi there');
    expect(llama3.decodeBatch([ids, []])).toEqual([llama3.decode(ids), '']);
    expect(llama3.decode([999_999_999])).toBe('');
  });
});

describe('createStreamDecoder', () => {
  const cases = buildCorpus(400, ['<s>', '</s>'], 21).filter((text) => text.length > 0);

  function stream(tokenizer: Tokenizer, ids: number[], skipSpecialTokens = false): string[] {
    const decoder = tokenizer.createStreamDecoder({ skipSpecialTokens });
    const chunks = ids.map((id) => decoder.push(id));
    chunks.push(decoder.flush());
    return chunks;
  }

  for (const [name, get] of [
    ['byte-level (Llama 3)', () => llama3],
    ['byte fallback (Llama 2)', () => llama2],
  ] as const) {
    it(`${name}: chunks join to decode() and never split a character`, () => {
      const tokenizer = get();
      for (const text of cases) {
        const ids = tokenizer.encode(text);
        const chunks = stream(tokenizer, ids);
        expect(chunks.join('')).toBe(tokenizer.decode(ids));
        for (const chunk of chunks.slice(0, -1)) {
          // A chunk is whole: no lone surrogate at either end, no replacement for a pending byte.
          expect(chunk).toBe(toWellFormed(chunk));
          if (!tokenizer.decode(ids).includes('\ufffd')) expect(chunk).not.toContain('\ufffd');
        }
      }
    });
  }

  it('other decoders (Metaspace, WordPiece, Strip) stream to the same text as decode()', () => {
    for (const json of [unigramTokenizer(true), bertTokenizer(), sentencePieceBpeTokenizer()]) {
      const tokenizer = loadTokenizer(json);
      for (const text of cases.slice(0, 200)) {
        const ids = tokenizer.encode(text);
        expect(stream(tokenizer, ids).join('')).toBe(tokenizer.decode(ids));
      }
    }
  });

  it('emits a multi-byte character once, when its last byte arrives', () => {
    const ids = llama2.encode('𠀋', { addSpecialTokens: false });
    // 𠀋 is not in Llama 2's vocabulary: it arrives as four byte tokens after "▁".
    expect(ids.length).toBeGreaterThan(2);
    const decoder = llama2.createStreamDecoder();
    const chunks = ids.map((id) => decoder.push(id));
    expect(chunks.filter((chunk) => chunk.length > 0)).toEqual(['𠀋']);
    expect(decoder.flush()).toBe('');
  });

  it('flush() turns an unfinished character into U+FFFD', () => {
    const bytes = llama2.encode('x𠀋', { addSpecialTokens: false }).slice(0, -1);
    const decoder = llama2.createStreamDecoder();
    expect(bytes.map((id) => decoder.push(id)).join('')).toBe('x');
    expect(decoder.flush()).toContain('\ufffd');
  });

  it('skips special tokens when asked', () => {
    const ids = llama3.encode('<|begin_of_text|>Hello<|eot_id|>');
    expect(stream(llama3, ids, true).join('')).toBe('Hello');
  });
});

describe('loadTokenizerFromDirectory', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'llmr-tokenizer-'));
    const { json, config } = loadRealTokenizer('qwen3');
    await writeFile(join(directory, 'tokenizer.json'), JSON.stringify(json));
    await writeFile(join(directory, 'tokenizer_config.json'), JSON.stringify(config));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads tokenizer.json and tokenizer_config.json', async () => {
    const tokenizer = await loadTokenizerFromDirectory(directory);
    expect(tokenizer.encode('Hello world')).toEqual(qwen3.encode('Hello world'));
    expect(tokenizer.chatTemplate).toBe(qwen3.chatTemplate);
  });

  it('says what is missing', async () => {
    const error = await loadTokenizerFromDirectory(join(directory, 'nope')).catch(
      (caught: unknown) => caught,
    );
    expect(LlmrError.isInstance(error)).toBe(true);
    expect((error as LlmrError).code).toBe('tokenizer-not-found');
    expect((error as Error).message).toMatch(/tokenizer\.json/);
  });
});
