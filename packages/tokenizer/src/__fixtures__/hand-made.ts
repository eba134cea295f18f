/**
 * Small tokenizer.json files built deterministically for the tests: one per model type
 * (Unigram, WordPiece/BERT, SentencePiece BPE, byte-level BPE with RobertaProcessing) and
 * a set that together exercise every normalizer, pre-tokenizer, post-processor, decoder
 * and added-token flag llmr supports. The vocabularies and merges come from a tiny BPE
 * trainer run on a fixed text, so merges are realistic and split-sensitive.
 */
import { toByteLevel } from '../byte-level';
import { toWellFormed } from '../unicode';
import { buildCorpus } from './corpus';

type Json = Record<string, unknown>;

/** Training text: the corpus generator with its own seed, so tests see other strings. */
function trainingText(): string[] {
  // Lone surrogates cannot be in a vocabulary (JSON readers reject them).
  return buildCorpus(400, ['<s>'], 7).map((text) => toWellFormed(text));
}

/** Greedy BPE training over words (arrays of symbols); ties go to the smaller pair string. */
export function trainBpe(
  words: Map<string, number>,
  split: (word: string) => string[],
  merges: number,
): Array<[string, string]> {
  const entries = [...words.entries()].map(([word, count]) => ({ symbols: split(word), count }));
  const result: Array<[string, string]> = [];
  for (let step = 0; step < merges; step++) {
    const counts = new Map<string, number>();
    for (const { symbols, count } of entries) {
      for (let index = 0; index + 1 < symbols.length; index++) {
        const key = `${symbols[index]}\u0000${symbols[index + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 1;
    for (const [key, count] of counts) {
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === undefined) break;
    const [left, right] = best.split('\u0000') as [string, string];
    result.push([left, right]);
    for (const entry of entries) {
      const next: string[] = [];
      for (let index = 0; index < entry.symbols.length; index++) {
        if (
          index + 1 < entry.symbols.length &&
          entry.symbols[index] === left &&
          entry.symbols[index + 1] === right
        ) {
          next.push(left + right);
          index++;
        } else next.push(entry.symbols[index]!);
      }
      entry.symbols = next;
    }
  }
  return result;
}

function countWords(texts: string[], split: (text: string) => string[]): Map<string, number> {
  const words = new Map<string, number>();
  for (const text of texts)
    for (const word of split(text)) if (word) words.set(word, (words.get(word) ?? 0) + 1);
  return words;
}

const BYTE_TOKENS = Array.from(
  { length: 256 },
  (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`,
);

function vocabularyOf(tokens: string[]): Record<string, number> {
  const vocab: Record<string, number> = {};
  for (const token of tokens) if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  return vocab;
}

function added(
  id: number,
  content: string,
  options: Partial<
    Record<'special' | 'lstrip' | 'rstrip' | 'normalized' | 'single_word', boolean>
  > = {},
): Json {
  const special = options.special ?? true;
  return {
    id,
    content,
    single_word: options.single_word ?? false,
    lstrip: options.lstrip ?? false,
    rstrip: options.rstrip ?? false,
    normalized: options.normalized ?? !special,
    special,
  };
}

/** Characters of the training text, most frequent first (ties by code point), at most `limit`. */
function topChars(
  texts: string[],
  limit: number,
  transform: (text: string) => string = (text) => text,
): string[] {
  const counts = new Map<string, number>();
  for (const text of texts)
    for (const char of transform(text)) counts.set(char, (counts.get(char) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([char]) => char);
}

let cachedSentencePiece:
  | { vocab: Record<string, number>; merges: Array<[string, string]> }
  | undefined;
/** A SentencePiece-style BPE vocabulary (▁ for spaces, byte fallback pieces). */
function sentencePieceVocabulary() {
  if (cachedSentencePiece) return cachedSentencePiece;
  const texts = trainingText();
  const words = countWords(texts, (text) => `▁${text.replaceAll(' ', '▁')}`.split(/(?=▁)/u));
  const chars = topChars(texts, 180, (text) => `▁${text.replaceAll(' ', '▁')}`);
  const merges = trainBpe(
    new Map([...words].filter(([word]) => [...word].every((char) => chars.includes(char)))),
    (word) => [...word],
    400,
  );
  const tokens = ['<unk>', '<s>', '</s>', ...BYTE_TOKENS, ...chars];
  for (const [left, right] of merges) tokens.push(left + right);
  cachedSentencePiece = { vocab: vocabularyOf(tokens), merges };
  return cachedSentencePiece;
}

let cachedByteLevel: { vocab: Record<string, number>; merges: Array<[string, string]> } | undefined;
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/** A byte-level BPE vocabulary (GPT-2 alphabet). */
function byteLevelVocabulary() {
  if (cachedByteLevel) return cachedByteLevel;
  const texts = trainingText();
  const words = countWords(texts, (text) =>
    [...` ${text}`.matchAll(GPT2_SPLIT)].map((match) => toByteLevel(match[0])),
  );
  const merges = trainBpe(words, (word) => [...word], 500);
  const alphabet = Array.from({ length: 256 }, (_, byte) =>
    toByteLevel(String.fromCharCode(byte)),
  ).filter((char) => char.length === 1);
  // Bytes >= 0x80 do not come out of toByteLevel one by one; build them from the table.
  const byteChars: string[] = [];
  for (let byte = 0; byte < 256; byte++) byteChars.push(byteCharOf(byte));
  const tokens = ['<s>', '<pad>', '</s>', '<unk>', ...byteChars, ...alphabet];
  for (const [left, right] of merges) tokens.push(left + right);
  tokens.push('<mask>');
  cachedByteLevel = { vocab: vocabularyOf(tokens), merges };
  return cachedByteLevel;
}

function byteCharOf(byte: number): string {
  // GPT-2's table, recomputed here so the fixture does not lean on the code under test.
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (printable(byte)) return String.fromCharCode(byte);
  let extra = 0;
  for (let b = 0; b < byte; b++) if (!printable(b)) extra++;
  return String.fromCharCode(256 + extra);
}

let cachedCharBpe: { vocab: Record<string, number>; merges: Array<[string, string]> } | undefined;
/** A character BPE with byte fallback and no space marker, for the component fixtures. */
function charBpeVocabulary() {
  if (cachedCharBpe) return cachedCharBpe;
  const texts = trainingText().map((text) => text.toLowerCase());
  const words = countWords(texts, (text) => text.split(/\s+/u));
  const chars = topChars(texts, 150);
  const merges = trainBpe(
    new Map([...words].filter(([word]) => [...word].every((char) => chars.includes(char)))),
    (word) => [...word],
    300,
  );
  const tokens = ['<unk>', '<bos>', '<eos>', ...BYTE_TOKENS, ...chars, '▁', ' '];
  for (const [left, right] of merges) tokens.push(left + right);
  cachedCharBpe = { vocab: vocabularyOf(tokens), merges };
  return cachedCharBpe;
}

/** Unigram with Metaspace, fused unknowns and (optionally) byte fallback. */
export function unigramTokenizer(byteFallback: boolean): Json {
  const texts = trainingText();
  const counts = new Map<string, number>();
  for (const text of texts) {
    const marked = `▁${text.replaceAll(' ', '▁')}`;
    const chars = [...marked];
    for (let start = 0; start < chars.length; start++) {
      for (let length = 1; length <= 6 && start + length <= chars.length; length++) {
        const piece = chars.slice(start, start + length).join('');
        counts.set(piece, (counts.get(piece) ?? 0) + 1);
      }
    }
  }
  const singles = [...counts.entries()]
    .filter(([piece]) => [...piece].length === 1)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 160);
  const multi = [...counts.entries()]
    .filter(([piece, count]) => [...piece].length > 1 && count >= 6)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 700);
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const vocab: Array<[string, number]> = [
    ['<unk>', 0],
    ['<s>', 0],
    ['</s>', 0],
  ];
  if (byteFallback) for (const token of BYTE_TOKENS) vocab.push([token, 0]);
  for (const [piece, count] of [...singles, ...multi]) {
    // Scores like a log-probability, rounded so they read well in the JSON.
    vocab.push([piece, Math.round(Math.log(count / total) * 1e4) / 1e4 - [...piece].length * 0.1]);
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer: byteFallback
      ? { type: 'NFKC' }
      : {
          type: 'Sequence',
          normalizers: [
            { type: 'NFKC' },
            { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
          ],
        },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '</s>', type_id: 1 } },
      ],
      special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
    },
    decoder: byteFallback
      ? {
          type: 'Sequence',
          decoders: [
            { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
            { type: 'ByteFallback' },
            { type: 'Fuse' },
          ],
        }
      : { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab, byte_fallback: byteFallback },
  };
}

/** BERT-style: BertNormalizer, BertPreTokenizer, WordPiece, BertProcessing, WordPiece decoder. */
export function bertTokenizer(): Json {
  const texts = trainingText().map((text) =>
    text
      .toLowerCase()
      .normalize('NFD')
      .replace(/\p{Mn}/gu, ''),
  );
  const words = countWords(texts, (text) => text.split(/[\s\p{P}]+/u));
  const chars = topChars(texts, 200).filter((char) => !/\s/u.test(char));
  const tokens = [
    '[PAD]',
    '[UNK]',
    '[CLS]',
    '[SEP]',
    '[MASK]',
    ...chars,
    ...chars.map((char) => `##${char}`),
  ];
  const frequent = [...words.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 250)
    .map(([word]) => word);
  for (const word of frequent) {
    tokens.push(word);
    const chars = [...word];
    if (chars.length > 4) tokens.push(chars.slice(0, 3).join(''), `##${chars.slice(3).join('')}`);
  }
  tokens.push('##ing', '##ed', '##s', '##tion', '##ly', '##er', 'un', '##able');
  const vocab = vocabularyOf(tokens);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      added(0, '[PAD]'),
      added(1, '[UNK]'),
      added(2, '[CLS]'),
      added(3, '[SEP]'),
      added(4, '[MASK]', { lstrip: true }),
    ],
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** SentencePiece BPE as Llama 2 ships it: Prepend+Replace normalizer, byte fallback, fused unk. */
export function sentencePieceBpeTokenizer(): Json {
  const { vocab, merges } = sentencePieceVocabulary();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges,
    },
  };
}

/** Byte-level BPE as RoBERTa ships it: ByteLevel with prefix space and regex, RobertaProcessing. */
export function robertaTokenizer(): Json {
  const { vocab, merges } = byteLevelVocabulary();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      added(0, '<s>'),
      added(1, '<pad>'),
      added(2, '</s>'),
      added(3, '<unk>'),
      added(vocab['<mask>']!, '<mask>', { lstrip: true }),
    ],
    normalizer: null,
    pre_tokenizer: {
      type: 'ByteLevel',
      add_prefix_space: true,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', 2],
      cls: ['<s>', 0],
      trim_offsets: true,
      add_prefix_space: true,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

function charBpeModel(): Json {
  const { vocab, merges } = charBpeVocabulary();
  return {
    type: 'BPE',
    dropout: null,
    unk_token: '<unk>',
    fuse_unk: false,
    byte_fallback: true,
    vocab,
    merges,
  };
}

const bosEosTemplate = (extra: string[] = []) => ({
  type: 'TemplateProcessing',
  single: [
    { SpecialToken: { id: '<bos>', type_id: 0 } },
    { Sequence: { id: 'A', type_id: 0 } },
    ...extra.map((id) => ({ SpecialToken: { id, type_id: 0 } })),
  ],
  pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: {
    '<bos>': { id: '<bos>', ids: [1], tokens: ['<bos>'] },
    '<eos>': { id: '<eos>', ids: [2], tokens: ['<eos>'] },
    '<unk>': { id: '<unk>', ids: [0], tokens: ['<unk>'] },
  },
});
const fallbackDecoder = {
  type: 'Sequence',
  decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }],
};

/** Tokenizers that together cover every component; each named for what it exercises. */
export function componentTokenizers(): Record<string, Json> {
  const model = charBpeModel;
  const vocab = charBpeVocabulary().vocab;
  const nextId = Object.keys(vocab).length;
  return {
    'nfd-stripaccents-lowercase-strip-replace-whitespace': {
      version: '1.0',
      added_tokens: [
        added(1, '<bos>'),
        added(2, '<eos>'),
        added(nextId, '[MASK]', { lstrip: true, rstrip: true }),
        added(nextId + 1, 'hello', { special: false, normalized: true, single_word: true }),
        added(nextId + 2, 'ÉTÉ', { special: false, normalized: true }),
      ],
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'NFD' },
          { type: 'StripAccents' },
          { type: 'Lowercase' },
          { type: 'Strip', strip_left: true, strip_right: true },
          { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        ],
      },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: bosEosTemplate(['<eos>']),
      decoder: fallbackDecoder,
      model: model(),
    },
    'nfkc-prepend-replace-punctuation-digits': {
      version: '1.0',
      added_tokens: [
        added(1, '<bos>'),
        added(2, '<eos>'),
        added(nextId, '<sep>', { rstrip: true }),
        added(nextId + 1, 'world', { special: false, normalized: false, single_word: true }),
      ],
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'NFKC' },
          { type: 'Prepend', prepend: '▁' },
          { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        ],
      },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Punctuation', behavior: 'Isolated' },
          { type: 'Digits', individual_digits: true },
        ],
      },
      post_processor: bosEosTemplate(),
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
      model: model(),
    },
    'nfc-split-behaviors-whitespacesplit': {
      version: '1.0',
      added_tokens: [added(1, '<bos>'), added(2, '<eos>')],
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          {
            type: 'Split',
            pattern: { String: '-' },
            behavior: 'MergedWithPrevious',
            invert: false,
          },
          { type: 'Split', pattern: { Regex: '\\d+' }, behavior: 'MergedWithNext', invert: false },
          { type: 'Split', pattern: { Regex: '[.,;]' }, behavior: 'Removed', invert: false },
          { type: 'WhitespaceSplit' },
        ],
      },
      post_processor: bosEosTemplate(['<eos>']),
      decoder: fallbackDecoder,
      model: model(),
    },
    'split-contiguous-invert-punctuation-removed-digits': {
      version: '1.0',
      added_tokens: [added(1, '<bos>'), added(2, '<eos>')],
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: '[aeiou]' }, behavior: 'Contiguous', invert: true },
          { type: 'Punctuation', behavior: 'Removed' },
          { type: 'Digits', individual_digits: false },
          {
            type: 'Split',
            pattern: { Regex: "(?i:'s|'t)|\\p{L}+" },
            behavior: 'Isolated',
            invert: false,
          },
        ],
      },
      post_processor: null,
      decoder: fallbackDecoder,
      model: model(),
    },
    'metaspace-first-rstrip': {
      version: '1.0',
      added_tokens: [
        added(1, '<bos>'),
        added(2, '<eos>'),
        added(nextId, '<tool>', { rstrip: true, lstrip: true }),
      ],
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
      post_processor: bosEosTemplate(),
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
        ],
      },
      model: model(),
    },
    'metaspace-never-nosplit-normalized-added': {
      version: '1.0',
      added_tokens: [
        added(1, '<bos>'),
        added(2, '<eos>'),
        added(nextId, 'Cat', { special: false, normalized: true }),
      ],
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Strip', strip_left: false, strip_right: true },
          { type: 'Lowercase' },
        ],
      },
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: false },
      post_processor: bosEosTemplate(['<eos>', '<eos>']),
      // Strip before Fuse, and no `start`: the reference panics when Strip would cut past an
      // empty token or cut a token from both ends, so the fixture never lets it.
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { Regex: '▁+' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Strip', content: ' ', start: 0, stop: 1 },
          { type: 'Fuse' },
        ],
      },
      model: model(),
    },
    'qwen-split-bytelevel-prefix-template': {
      version: '1.0',
      added_tokens: [
        added(0, '<s>'),
        added(2, '</s>'),
        added(byteLevelVocabulary().vocab['<mask>']!, '<mask>', { single_word: true }),
      ],
      normalizer: { type: 'NFKC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          {
            type: 'Split',
            pattern: {
              Regex:
                "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            },
            behavior: 'Isolated',
            invert: false,
          },
          { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: {
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: false },
          {
            type: 'TemplateProcessing',
            single: [
              { SpecialToken: { id: '<s>', type_id: 0 } },
              { Sequence: { id: 'A', type_id: 0 } },
              { SpecialToken: { id: '</s>', type_id: 0 } },
            ],
            pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
            special_tokens: {
              '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
              '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
            },
          },
        ],
      },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { ...(robertaTokenizer().model as Json), ignore_merges: true },
    },
  };
}

/** Every hand-made tokenizer with a name. */
export function handMadeTokenizers(): Record<string, Json> {
  return {
    'unigram-fused-unk': unigramTokenizer(false),
    'unigram-byte-fallback': unigramTokenizer(true),
    'wordpiece-bert': bertTokenizer(),
    'sentencepiece-bpe': sentencePieceBpeTokenizer(),
    'bytelevel-bpe-roberta': robertaTokenizer(),
    ...componentTokenizers(),
  };
}
