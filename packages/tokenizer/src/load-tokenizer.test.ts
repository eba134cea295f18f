/** Bad input: malformed tokenizer.json answers an LlmrError naming the field; fuzzed text never throws. */
import { LlmrError, ParseError } from '@llmr/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handMadeTokenizers, sentencePieceBpeTokenizer } from './__fixtures__/hand-made';
import { loadTokenizer } from './load-tokenizer';

type Json = Record<string, unknown>;

function errorOf(action: () => unknown): LlmrError {
  try {
    action();
  } catch (error) {
    expect(LlmrError.isInstance(error)).toBe(true);
    return error as LlmrError;
  }
  throw new Error('expected an error');
}

function withChange(change: (json: Json) => void): Json {
  const json = structuredClone(sentencePieceBpeTokenizer());
  change(json);
  return json;
}

describe('loadTokenizer with malformed input', () => {
  it('rejects text that is not JSON, and JSON that is not a tokenizer', () => {
    expect(ParseError.isInstance(errorOf(() => loadTokenizer('{"model": ')))).toBe(true);
    expect(errorOf(() => loadTokenizer('[]')).message).toMatch(/"\(root\)" must be an object/);
    expect(errorOf(() => loadTokenizer({})).message).toMatch(/"model" is missing/);
  });

  it.each([
    [
      'model.type',
      (json: Json) => ((json.model as Json).type = 'Magic'),
      /"model\.type" is "Magic"/,
    ],
    [
      'model.vocab',
      (json: Json) => ((json.model as Json).vocab = [1, 2]),
      /"model\.vocab" must be an object/,
    ],
    [
      'a vocab id',
      (json: Json) => (((json.model as Json).vocab as Json)['▁the'] = -4),
      /"model\.vocab\["▁the"\]" must be a token id/,
    ],
    [
      'merges',
      (json: Json) => ((json.model as Json).merges = 'a b'),
      /"model\.merges" must be an array/,
    ],
    [
      'a merge',
      (json: Json) => (((json.model as Json).merges as unknown[])[3] = 42),
      /"model\.merges\[3\]" must be "a b"/,
    ],
    [
      'a merge out of vocabulary',
      (json: Json) => (((json.model as Json).merges as unknown[])[5] = ['zzz', 'q']),
      /"model\.merges\[5\]".*"zzz" is not in the vocabulary/,
    ],
    [
      'normalizer.type',
      (json: Json) => (json.normalizer = { type: 'Lowercas' }),
      /"normalizer\.type" is "Lowercas"/,
    ],
    [
      'a nested normalizer',
      (json: Json) =>
        (json.normalizer = {
          type: 'Sequence',
          normalizers: [{ type: 'Replace', pattern: {}, content: '' }],
        }),
      /"normalizer\.normalizers\[0\]\.pattern" must be/,
    ],
    [
      'pre_tokenizer behavior',
      (json: Json) =>
        (json.pre_tokenizer = { type: 'Split', pattern: { String: 'x' }, behavior: 'Sideways' }),
      /"pre_tokenizer\.behavior" must be one of/,
    ],
    [
      'a regex',
      (json: Json) =>
        (json.pre_tokenizer = { type: 'Split', pattern: { Regex: '(?<=a' }, behavior: 'Isolated' }),
      /"pre_tokenizer\.pattern\.Regex"/,
    ],
    [
      'post_processor',
      (json: Json) =>
        (json.post_processor = {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<x>' } }],
          special_tokens: {},
        }),
      /"<x>", which is not in "post_processor\.special_tokens"/,
    ],
    [
      'decoder',
      (json: Json) =>
        (json.decoder = {
          type: 'Sequence',
          decoders: [{ type: 'Strip', content: ' ', start: 'one' }],
        }),
      /"decoder\.decoders\[0\]\.start" must be an integer/,
    ],
    [
      'added_tokens',
      (json: Json) => (json.added_tokens = [{ id: 0, content: 7 }]),
      /"added_tokens\[0\]\.content" must be a string/,
    ],
    [
      'deep nesting',
      (json: Json) => {
        let normalizer: Json = { type: 'Lowercase' };
        for (let depth = 0; depth < 40; depth++)
          normalizer = { type: 'Sequence', normalizers: [normalizer] };
        json.normalizer = normalizer;
      },
      /nested too deeply/,
    ],
  ])('names the broken field: %s', (_name, change, message) => {
    const error = errorOf(() => loadTokenizer(withChange(change)));
    expect(ParseError.isInstance(error)).toBe(true);
    expect(error.code).toBe('tokenizer-json-invalid');
    expect(error.message).toMatch(message);
  });

  it('refuses absurd sizes before allocating', () => {
    // A sparse array: its length is absurd, its memory is not.
    const huge = new Array<unknown>(10_000_000);
    const error = errorOf(() =>
      loadTokenizer(withChange((json) => ((json.model as Json).merges = huge))),
    );
    expect(error.message).toMatch(/"model\.merges" has 10000000 entries/);
  });
});

describe('encode never throws on arbitrary text', () => {
  const tokenizers = Object.entries(handMadeTokenizers()).map(
    ([name, json]) => [name, loadTokenizer(json)] as const,
  );
  it('fuzzed strings (full Unicode, lone surrogates) encode and decode', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        (binary, graphemes) => {
          for (const [, tokenizer] of tokenizers) {
            for (const text of [binary, graphemes, `${graphemes}<s>${binary}`]) {
              const ids = tokenizer.encode(text);
              expect(
                ids.every((id) => Number.isInteger(id) && id >= 0 && id < tokenizer.vocabularySize),
              ).toBe(true);
              tokenizer.decode(ids);
              tokenizer.encodeWithOffsets(text);
            }
          }
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});
