/** The Precompiled (SentencePiece charsmap) normalizer matches the reference. */
import { describe, expect, it } from 'vitest';
import { buildCorpus } from './__fixtures__/corpus';
import { sentencePieceBpeTokenizer } from './__fixtures__/hand-made';
import { buildPrecompiledCharsmap } from './__fixtures__/precompiled-charsmap-builder';
import { referenceEncode } from './__fixtures__/reference';
import { loadTokenizer } from './load-tokenizer';

const charsmap = buildPrecompiledCharsmap({
  ﬁ: 'fi',
  ﬀ: 'ff',
  '①': '1',
  '②': '2',
  Ａ: 'A',
  Ｂ: 'B',
  ｆ: 'f',
  ｕ: 'u',
  ｌ: 'l',
  ｶ: 'カ',
  ｶﾞ: 'ガ',
  ｷﾞ: 'ギ',
  '\u3000': ' ',
  '\u00a0': ' ',
  'e\u0301': 'é',
  '\u200b': '',
  '…': '...',
  Å: 'Å',
  '😀': ':)',
});

describe('Precompiled normalizer', () => {
  it('matches the reference on the corpus', async () => {
    const json = {
      ...sentencePieceBpeTokenizer(),
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Precompiled', precompiled_charsmap: charsmap },
          { type: 'Prepend', prepend: '▁' },
          { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        ],
      },
    };
    const tokenizer = loadTokenizer(json);
    const corpus = [
      'ﬁne ﬀ ①② ＡＢ ｆｕｌｌ',
      'ｶﾞｷﾞｶ',
      'cafe\u0301 e\u0301\u0301',
      'a\u3000b\u00a0c\u200bd…',
      'Å 😀👍🏽 👨‍👩‍👧',
      ...buildCorpus(1000, ['<s>'], 13),
    ];
    const reference = await referenceEncode(json, corpus);
    // The map is applied: ligatures and full-width letters become their plain forms.
    expect(tokenizer.encode('ﬁne ＡＢ ①')).toEqual(tokenizer.encode('fine AB 1'));
    // (A grapheme is looked up by its shortest key prefix, as in the reference: with both
    // "ｶ" and "ｶﾞ" in the map, "ｶﾞ" becomes "カ". The corpus below checks that agreement.)
    const mismatches = corpus.filter(
      (text, index) =>
        JSON.stringify(tokenizer.encode(text)) !== JSON.stringify(reference[index]!.ids),
    );
    expect(mismatches).toEqual([]);
  });

  it('an empty charsmap normalizes nothing', () => {
    const json = {
      ...sentencePieceBpeTokenizer(),
      normalizer: { type: 'Precompiled', precompiled_charsmap: null },
    };
    expect(loadTokenizer(json).encode('ﬁne', { addSpecialTokens: false })).toEqual(
      loadTokenizer({ ...json, normalizer: null }).encode('ﬁne', { addSpecialTokens: false }),
    );
  });
});
