/**
 * Tokenizers built from GGUF metadata give the same ids as their tokenizer.json twins (and
 * so as the reference), on the same corpus.
 */
import { describe, expect, it } from 'vitest';
import { buildCorpus } from './__fixtures__/corpus';
import { bertMetadata, gpt2Metadata, llamaMetadata, t5Metadata } from './__fixtures__/gguf-twins';
import {
  bertTokenizer,
  sentencePieceBpeTokenizer,
  unigramTokenizer,
} from './__fixtures__/hand-made';
import { loadRealTokenizer } from './__fixtures__/reference';
import { mergesFromScores, tokenizerFromGgufMetadata } from './gguf-tokenizer';
import { loadTokenizer } from './load-tokenizer';
import type { Tokenizer } from './tokenizer';

type Json = Record<string, unknown>;

function expectTwins(fromGguf: Tokenizer, fromJson: Tokenizer, json: Json): void {
  const specials = ((json.added_tokens as Array<{ content: string }>) ?? [])
    .map((token) => token.content)
    .slice(0, 12);
  const corpus = buildCorpus(2000, specials, 11);
  const mismatches = corpus.filter(
    (text) => JSON.stringify(fromGguf.encode(text)) !== JSON.stringify(fromJson.encode(text)),
  );
  expect(mismatches.slice(0, 5)).toEqual([]);
  for (const text of corpus.slice(0, 200)) {
    const ids = fromJson.encode(text);
    expect(fromGguf.decode(ids)).toBe(fromJson.decode(ids));
  }
  expect(fromGguf.vocabularySize).toBe(fromJson.vocabularySize);
}

describe('tokenizerFromGgufMetadata', () => {
  it('llama (SentencePiece BPE from scores) matches the real Llama 2 tokenizer.json', () => {
    const { json, config } = loadRealTokenizer('llama2');
    const metadata = llamaMetadata(json, { bos: 1, eos: 2, unk: 0 });
    const tokenizer = tokenizerFromGgufMetadata(metadata);
    expectTwins(tokenizer, loadTokenizer(json, config), json);
    expect(tokenizer.specialTokens).toMatchObject({ bos: 1, eos: 2, unk: 0 });
  });

  it('llama merges derived from scores equal the real Llama 2 merges', () => {
    const { json } = loadRealTokenizer('llama2');
    const metadata = llamaMetadata(json, { bos: 1, eos: 2, unk: 0 });
    const merges = mergesFromScores(
      metadata['tokenizer.ggml.tokens'] as string[],
      Array.from(metadata['tokenizer.ggml.scores'] as Float32Array),
    );
    expect(merges.map((merge) => merge.join(' '))).toEqual(
      (json.model as { merges: string[] }).merges,
    );
  });

  it('llama matches the hand-made SentencePiece BPE', () => {
    const json = sentencePieceBpeTokenizer();
    expectTwins(
      tokenizerFromGgufMetadata(llamaMetadata(json, { bos: 1, eos: 2, unk: 0 })),
      loadTokenizer(json),
      json,
    );
  });

  it('gpt2 with pre "llama-bpe" matches the real Llama 3 tokenizer.json', () => {
    const { json, config } = loadRealTokenizer('llama3');
    const metadata = gpt2Metadata(json, {
      pre: 'llama-bpe',
      bos: 128000,
      eos: 128001,
      addBos: false,
      chatTemplate: config.chat_template as string,
    });
    const tokenizer = tokenizerFromGgufMetadata(metadata);
    expectTwins(tokenizer, loadTokenizer(json, config), json);
    expect(tokenizer.specialTokens).toMatchObject({ bos: 128000, eos: 128001 });
    expect(tokenizer.applyChatTemplate([{ role: 'user', content: 'Hi' }])).toBe(
      loadTokenizer(json, config).applyChatTemplate([{ role: 'user', content: 'Hi' }]),
    );
  });

  it('gpt2 with pre "qwen2" matches the real Qwen 3 tokenizer.json', () => {
    const { json, config } = loadRealTokenizer('qwen3');
    const tokenizer = tokenizerFromGgufMetadata(
      gpt2Metadata(json, { pre: 'qwen2', eos: 151645, addBos: false }),
    );
    expectTwins(tokenizer, loadTokenizer(json, config), json);
  });

  it('bert (WordPiece) matches the hand-made BERT tokenizer.json', () => {
    const json = bertTokenizer();
    const tokenizer = tokenizerFromGgufMetadata(bertMetadata(json));
    expectTwins(tokenizer, loadTokenizer(json), json);
    expect(tokenizer.specialTokens).toMatchObject({ pad: 0, unk: 1 });
  });

  it('t5 (Unigram) matches the hand-made Unigram tokenizer.json', () => {
    const json = { ...unigramTokenizer(false), normalizer: null };
    expectTwins(tokenizerFromGgufMetadata(t5Metadata(json)), loadTokenizer(json), json);
  });

  it('names what is missing or unsupported', () => {
    expect(() => tokenizerFromGgufMetadata({})).toThrow(/tokenizer\.ggml\.model/);
    expect(() =>
      tokenizerFromGgufMetadata({ 'tokenizer.ggml.model': 'rwkv', 'tokenizer.ggml.tokens': ['a'] }),
    ).toThrow(/rwkv/);
    expect(() => tokenizerFromGgufMetadata({ 'tokenizer.ggml.model': 'gpt2' })).toThrow(
      /tokenizer\.ggml\.tokens/,
    );
    expect(() =>
      tokenizerFromGgufMetadata({
        'tokenizer.ggml.model': 'gpt2',
        'tokenizer.ggml.tokens': ['a', 'b'],
        'tokenizer.ggml.merges': ['a c'],
      }),
    ).toThrow(/merges\[0\]/);
  });
});
