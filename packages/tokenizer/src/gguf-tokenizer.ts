/**
 * Tokenizers described by GGUF metadata (`tokenizer.ggml.*`), rebuilt as the equivalent
 * tokenizer.json so they run through the same pipeline as their Hugging Face twins.
 * Takes the metadata as a plain object, so this package does not depend on a GGUF reader.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { ChatTemplateSource } from './chat-template';
import { loadTokenizer } from './load-tokenizer';
import type { Tokenizer } from './tokenizer';

/** GGUF token types (llama.cpp's `llama_token_type`). */
export const GGUF_TOKEN_TYPE = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;

/** Split patterns by `tokenizer.ggml.pre`, in tokenizer.json (Oniguruma) form. */
const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_PRE = new Set(['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'pixtral', 'smaug-bpe']);
const QWEN2_PRE = new Set(['qwen2', 'qwen3', 'deepseek-r1-qwen', 'megrez', 'hunyuan']);

function key(metadata: Record<string, unknown>, name: string): unknown {
  return metadata[name];
}

function toNumber(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new InvalidArgumentError({
    argument: `metadata["${name}"]`,
    message: `GGUF metadata "${name}" must be a number, got ${typeof value}.`,
    value,
  });
}

function toBoolean(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function toArray(value: unknown, name: string, required: boolean): unknown[] | undefined {
  if (value === undefined || value === null) {
    if (!required) return undefined;
    throw new InvalidArgumentError({
      argument: `metadata["${name}"]`,
      message: `GGUF metadata has no "${name}"; it is required to build the tokenizer.`,
    });
  }
  if (Array.isArray(value)) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>);
  }
  throw new InvalidArgumentError({
    argument: `metadata["${name}"]`,
    message: `GGUF metadata "${name}" must be an array.`,
    value,
  });
}

function toBase64(bytes: ArrayLike<number>): string {
  let binary = '';
  for (let index = 0; index < bytes.length; index++)
    binary += String.fromCharCode(Number(bytes[index]) & 0xff);
  return btoa(binary);
}

/**
 * SentencePiece BPE merges from scores, as Hugging Face's converter derives them: every
 * split of a piece into two vocabulary pieces is a merge, ranked by the piece's score
 * (highest first), then by the ids of the two halves.
 */
export function mergesFromScores(
  tokens: readonly string[],
  scores: readonly number[],
): Array<[string, string]> {
  const vocabulary = new Map<string, number>();
  tokens.forEach((token, id) => {
    if (!vocabulary.has(token)) vocabulary.set(token, id);
  });
  const merges: Array<{
    left: string;
    right: string;
    score: number;
    leftId: number;
    rightId: number;
    order: number;
  }> = [];
  let order = 0;
  tokens.forEach((piece, id) => {
    if (vocabulary.get(piece) !== id) return;
    const chars = [...piece];
    const local: typeof merges = [];
    let offset = 0;
    for (let index = 1; index < chars.length; index++) {
      offset += chars[index - 1]!.length;
      const left = piece.slice(0, offset);
      const right = piece.slice(offset);
      const leftId = vocabulary.get(left);
      const rightId = vocabulary.get(right);
      if (leftId !== undefined && rightId !== undefined) {
        local.push({ left, right, score: scores[id] ?? 0, leftId, rightId, order: 0 });
      }
    }
    local.sort((a, b) => a.leftId - b.leftId || a.rightId - b.rightId);
    for (const merge of local) merges.push({ ...merge, order: order++ });
  });
  merges.sort((a, b) => b.score - a.score || a.order - b.order);
  return merges.map((merge) => [merge.left, merge.right]);
}

function chatTemplateOf(metadata: Record<string, unknown>): ChatTemplateSource | undefined {
  const main = key(metadata, 'tokenizer.chat_template');
  const named: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (name.startsWith('tokenizer.chat_template.') && typeof value === 'string') {
      named[name.slice('tokenizer.chat_template.'.length)] = value;
    }
  }
  if (Object.keys(named).length === 0) return typeof main === 'string' ? main : undefined;
  if (typeof main === 'string') named.default = main;
  return named;
}

function templateProcessor(
  bos: string | undefined,
  eos: string | undefined,
  ids: Map<string, number>,
) {
  const single: unknown[] = [];
  const special: Record<string, unknown> = {};
  if (bos !== undefined) {
    single.push({ SpecialToken: { id: bos, type_id: 0 } });
    special[bos] = { id: bos, ids: [ids.get(bos)], tokens: [bos] };
  }
  single.push({ Sequence: { id: 'A', type_id: 0 } });
  if (eos !== undefined) {
    single.push({ SpecialToken: { id: eos, type_id: 0 } });
    special[eos] = { id: eos, ids: [ids.get(eos)], tokens: [eos] };
  }
  return { type: 'TemplateProcessing', single, pair: single, special_tokens: special };
}

/** The tokenizer.json equivalent of GGUF tokenizer metadata (exported for inspection and tests). */
export function ggufMetadataToTokenizerJson(
  metadata: Record<string, unknown>,
): Record<string, unknown> {
  const modelName = key(metadata, 'tokenizer.ggml.model');
  if (typeof modelName !== 'string') {
    throw new InvalidArgumentError({
      argument: 'metadata["tokenizer.ggml.model"]',
      message:
        'GGUF metadata has no "tokenizer.ggml.model"; pass the metadata of a GGUF file that embeds a tokenizer.',
    });
  }
  const tokens = toArray(
    key(metadata, 'tokenizer.ggml.tokens'),
    'tokenizer.ggml.tokens',
    true,
  )!.map((token, index) => {
    if (typeof token !== 'string') {
      throw new InvalidArgumentError({
        argument: `metadata["tokenizer.ggml.tokens"][${index}]`,
        message: `GGUF token ${index} is not a string.`,
      });
    }
    return token;
  });
  const types = (
    toArray(key(metadata, 'tokenizer.ggml.token_type'), 'tokenizer.ggml.token_type', false) ?? []
  ).map((value) => Number(value));
  const idOf = (name: string) => toNumber(key(metadata, name), name);
  const bosId = idOf('tokenizer.ggml.bos_token_id');
  const eosId = idOf('tokenizer.ggml.eos_token_id');
  const unkId = idOf('tokenizer.ggml.unknown_token_id');
  const vocabulary = new Map<string, number>();
  tokens.forEach((token, id) => {
    if (!vocabulary.has(token)) vocabulary.set(token, id);
  });
  const vocab = Object.fromEntries(vocabulary);
  const addedTokens = tokens.flatMap((content, id) => {
    const type = types[id];
    if (
      type !== GGUF_TOKEN_TYPE.control &&
      type !== GGUF_TOKEN_TYPE.unknown &&
      type !== GGUF_TOKEN_TYPE.userDefined
    ) {
      return [];
    }
    return [
      {
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: type !== GGUF_TOKEN_TYPE.userDefined,
      },
    ];
  });
  const tokenAt = (id: number | undefined) => (id === undefined ? undefined : tokens[id]);

  switch (modelName) {
    case 'llama': {
      const scores = (
        toArray(key(metadata, 'tokenizer.ggml.scores'), 'tokenizer.ggml.scores', false) ?? []
      ).map(Number);
      const mergesValue = toArray(
        key(metadata, 'tokenizer.ggml.merges'),
        'tokenizer.ggml.merges',
        false,
      );
      const merges = mergesValue ? mergesValue.map(String) : mergesFromScores(tokens, scores);
      const addSpacePrefix = toBoolean(key(metadata, 'tokenizer.ggml.add_space_prefix'), true);
      const addBos = toBoolean(key(metadata, 'tokenizer.ggml.add_bos_token'), true);
      const addEos = toBoolean(key(metadata, 'tokenizer.ggml.add_eos_token'), false);
      const replaceSpace = { type: 'Replace', pattern: { String: ' ' }, content: '▁' };
      return {
        version: '1.0',
        added_tokens: addedTokens,
        normalizer: addSpacePrefix
          ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, replaceSpace] }
          : replaceSpace,
        pre_tokenizer: null,
        post_processor: templateProcessor(
          addBos ? tokenAt(bosId) : undefined,
          addEos ? tokenAt(eosId) : undefined,
          vocabulary,
        ),
        decoder: {
          type: 'Sequence',
          decoders: [
            { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
            { type: 'ByteFallback' },
            { type: 'Fuse' },
            ...(addSpacePrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
          ],
        },
        model: {
          type: 'BPE',
          vocab,
          merges,
          unk_token: tokenAt(unkId) ?? '<unk>',
          fuse_unk: true,
          byte_fallback: true,
        },
      };
    }
    case 'gpt2': {
      const merges = toArray(
        key(metadata, 'tokenizer.ggml.merges'),
        'tokenizer.ggml.merges',
        true,
      )!.map(String);
      const pre = key(metadata, 'tokenizer.ggml.pre');
      const addBos = toBoolean(key(metadata, 'tokenizer.ggml.add_bos_token'), false);
      const addEos = toBoolean(key(metadata, 'tokenizer.ggml.add_eos_token'), false);
      const byteLevel = {
        type: 'ByteLevel',
        add_prefix_space: false,
        trim_offsets: false,
        use_regex: false,
      };
      let preTokenizer: unknown = { ...byteLevel, use_regex: true };
      let normalizer: unknown = null;
      if (typeof pre === 'string' && LLAMA3_PRE.has(pre)) {
        preTokenizer = {
          type: 'Sequence',
          pretokenizers: [
            {
              type: 'Split',
              pattern: { Regex: LLAMA3_PATTERN },
              behavior: 'Isolated',
              invert: false,
            },
            byteLevel,
          ],
        };
      } else if (typeof pre === 'string' && QWEN2_PRE.has(pre)) {
        normalizer = { type: 'NFC' };
        preTokenizer = {
          type: 'Sequence',
          pretokenizers: [
            {
              type: 'Split',
              pattern: { Regex: QWEN2_PATTERN },
              behavior: 'Isolated',
              invert: false,
            },
            byteLevel,
          ],
        };
      }
      const template = templateProcessor(
        addBos ? tokenAt(bosId) : undefined,
        addEos ? tokenAt(eosId) : undefined,
        vocabulary,
      );
      return {
        version: '1.0',
        added_tokens: addedTokens,
        normalizer,
        pre_tokenizer: preTokenizer,
        post_processor: { type: 'Sequence', processors: [byteLevel, template] },
        decoder: byteLevel,
        model: {
          type: 'BPE',
          vocab,
          merges,
          ignore_merges: typeof pre === 'string' && LLAMA3_PRE.has(pre),
        },
      };
    }
    case 'bert': {
      const sep =
        tokenAt(
          idOf('tokenizer.ggml.seperator_token_id') ?? idOf('tokenizer.ggml.separator_token_id'),
        ) ?? '[SEP]';
      const cls = tokenAt(idOf('tokenizer.ggml.cls_token_id')) ?? '[CLS]';
      return {
        version: '1.0',
        added_tokens: addedTokens,
        normalizer: {
          type: 'BertNormalizer',
          clean_text: true,
          handle_chinese_chars: true,
          strip_accents: null,
          lowercase: true,
        },
        pre_tokenizer: { type: 'BertPreTokenizer' },
        post_processor: {
          type: 'BertProcessing',
          sep: [sep, vocabulary.get(sep) ?? 0],
          cls: [cls, vocabulary.get(cls) ?? 0],
        },
        decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
        model: {
          type: 'WordPiece',
          unk_token: tokenAt(unkId) ?? '[UNK]',
          continuing_subword_prefix: '##',
          max_input_chars_per_word: 100,
          vocab,
        },
      };
    }
    case 't5': {
      const scores = (
        toArray(key(metadata, 'tokenizer.ggml.scores'), 'tokenizer.ggml.scores', true) ?? []
      ).map(Number);
      const charsmap = toArray(
        key(metadata, 'tokenizer.ggml.precompiled_charsmap'),
        'tokenizer.ggml.precompiled_charsmap',
        false,
      );
      const addEos = toBoolean(key(metadata, 'tokenizer.ggml.add_eos_token'), true);
      const metaspace = {
        type: 'Metaspace',
        replacement: '▁',
        prepend_scheme: 'always',
        split: true,
      };
      return {
        version: '1.0',
        added_tokens: addedTokens,
        normalizer:
          charsmap && charsmap.length > 0
            ? { type: 'Precompiled', precompiled_charsmap: toBase64(charsmap as number[]) }
            : null,
        pre_tokenizer: metaspace,
        post_processor: templateProcessor(
          undefined,
          addEos ? tokenAt(eosId) : undefined,
          vocabulary,
        ),
        decoder: metaspace,
        model: {
          type: 'Unigram',
          unk_id: unkId ?? 0,
          vocab: tokens.map((token, id) => [token, scores[id] ?? 0]),
          byte_fallback: false,
        },
      };
    }
    default:
      throw new InvalidArgumentError({
        argument: 'metadata["tokenizer.ggml.model"]',
        message: `GGUF tokenizer model "${modelName}" is not supported; llmr supports llama (SentencePiece BPE), gpt2 (byte-level BPE), bert (WordPiece) and t5 (Unigram).`,
        value: modelName,
      });
  }
}

/** Builds a tokenizer from GGUF metadata (`tokenizer.ggml.*` keys and `tokenizer.chat_template`). */
export function tokenizerFromGgufMetadata(metadata: Record<string, unknown>): Tokenizer {
  const json = ggufMetadataToTokenizerJson(metadata);
  const idOf = (name: string) => toNumber(key(metadata, name), name);
  const chatTemplate = chatTemplateOf(metadata);
  const base = loadTokenizer(json, undefined, chatTemplate === undefined ? {} : { chatTemplate });
  const explicit = {
    bos: idOf('tokenizer.ggml.bos_token_id'),
    eos: idOf('tokenizer.ggml.eos_token_id'),
    pad: idOf('tokenizer.ggml.padding_token_id'),
    unk: idOf('tokenizer.ggml.unknown_token_id'),
  };
  const specialTokenIds = Object.fromEntries(
    Object.entries(explicit).filter(([, id]) => id !== undefined),
  );
  return base.withSpecialTokenIds(specialTokenIds);
}
