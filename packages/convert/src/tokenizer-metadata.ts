/**
 * GGUF tokenizer metadata (`tokenizer.ggml.*`) from a Hugging Face tokenizer.json and
 * tokenizer_config.json: the model kind, tokens in id order, token types, merges or
 * scores, special token ids, the pre-tokenizer name llama.cpp dispatches on, and the
 * chat template.
 */
import { LlmrError } from '@llmr/core';
import type { GgufMetadataInput } from '@llmr/gguf';

/** llama.cpp's token types. */
export const TokenType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

/**
 * Pre-tokenizer regexes llama.cpp knows, by the name it gives them (`tokenizer.ggml.pre`).
 * convert_hf_to_gguf identifies them by hashing a tokenization; the regex itself is the
 * more direct signal when the tokenizer.json is at hand.
 */
const KNOWN_PRE_TOKENIZERS: [string, string][] = [
  [
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    'llama-bpe',
  ],
  [
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    'qwen2',
  ],
  ["'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", 'gpt-2'],
];

type Json = Record<string, unknown>;

function splitPatterns(preTokenizer: unknown): string[] {
  if (!preTokenizer || typeof preTokenizer !== 'object') return [];
  const node = preTokenizer as Json;
  if (node.type === 'Sequence' && Array.isArray(node.pretokenizers))
    return node.pretokenizers.flatMap(splitPatterns);
  if (node.type === 'Split') {
    const pattern = node.pattern as Json | undefined;
    return typeof pattern?.Regex === 'string' ? [pattern.Regex] : [];
  }
  if (node.type === 'ByteLevel' && node.use_regex !== false) return [KNOWN_PRE_TOKENIZERS[2]![0]];
  return [];
}

function isByteLevel(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  const value = node as Json;
  if (value.type === 'ByteLevel') return true;
  if (value.type === 'Sequence')
    return (
      ((value.pretokenizers ?? value.decoders) as unknown[] | undefined)?.some(isByteLevel) ?? false
    );
  return false;
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as Json).content === 'string')
    return (value as Json).content as string;
  return undefined;
}

function chatTemplateOf(config: Json | undefined): string | undefined {
  const template = config?.chat_template;
  if (typeof template === 'string') return template;
  if (Array.isArray(template)) {
    const named = template.find((entry) => (entry as Json)?.name === 'default') ?? template[0];
    return typeof (named as Json)?.template === 'string'
      ? ((named as Json).template as string)
      : undefined;
  }
  return undefined;
}

export function tokenizerMetadata(
  tokenizer: Json | undefined,
  tokenizerConfig: Json | undefined,
  config: Json,
): Map<string, GgufMetadataInput> {
  if (!tokenizer) {
    throw new LlmrError({
      code: 'convert-missing-tokenizer',
      message:
        'The model directory has no tokenizer.json; llama.cpp needs the vocabulary inside the GGUF.',
    });
  }
  const model = tokenizer.model as Json | undefined;
  if (model?.type !== 'BPE') {
    throw new LlmrError({
      code: 'convert-unsupported-tokenizer',
      message: `Tokenizer model ${String(model?.type)} cannot be converted yet; BPE (byte-level or SentencePiece-style) can.`,
    });
  }
  const vocab = model.vocab as Record<string, number>;
  const added = (Array.isArray(tokenizer.added_tokens) ? tokenizer.added_tokens : []) as {
    id: number;
    content: string;
    special?: boolean;
  }[];
  // A loop, not Math.max(...ids): vocabularies of 150k ids overflow the argument stack.
  let size = typeof config.vocab_size === 'number' ? config.vocab_size : 0;
  for (const id of Object.values(vocab)) size = Math.max(size, id + 1);
  for (const token of added) size = Math.max(size, token.id + 1);
  const tokens: string[] = new Array(size);
  const types: number[] = new Array(size).fill(TokenType.NORMAL);
  for (const [token, id] of Object.entries(vocab)) tokens[id] = token;
  for (const token of added) {
    tokens[token.id] = token.content;
    types[token.id] = token.special ? TokenType.CONTROL : TokenType.USER_DEFINED;
  }
  // Ids the embedding has but the tokenizer never names (padding rows).
  for (let id = 0; id < size; id++) {
    if (tokens[id] === undefined) {
      tokens[id] = `[PAD${id}]`;
      types[id] = TokenType.UNUSED;
    }
  }
  const idOf = new Map(tokens.map((token, id) => [token, id]));
  const special = (key: string) => {
    const content = tokenContent(tokenizerConfig?.[key]);
    return content === undefined ? undefined : idOf.get(content);
  };

  const metadata = new Map<string, GgufMetadataInput>();
  const byteLevel = isByteLevel(tokenizer.pre_tokenizer) || isByteLevel(tokenizer.decoder);
  if (byteLevel) {
    const patterns = splitPatterns(tokenizer.pre_tokenizer);
    const pre =
      KNOWN_PRE_TOKENIZERS.find(([pattern]) => patterns.includes(pattern))?.[1] ?? 'default';
    metadata.set('tokenizer.ggml.model', 'gpt2');
    metadata.set('tokenizer.ggml.pre', pre);
    metadata.set('tokenizer.ggml.tokens', tokens);
    metadata.set('tokenizer.ggml.token_type', Int32Array.from(types));
    const merges = (model.merges as (string | [string, string])[]).map((merge) =>
      typeof merge === 'string' ? merge : merge.join(' '),
    );
    metadata.set('tokenizer.ggml.merges', merges);
  } else {
    // SentencePiece-style BPE (Llama 2, Mistral): llama.cpp's SPM tokenizer merges the
    // adjacent pair whose concatenation scores highest, while Hugging Face merges by rank;
    // scoring each merged piece by minus its merge rank makes the two agree.
    if (model.byte_fallback !== true) {
      throw new LlmrError({
        code: 'convert-unsupported-tokenizer',
        message:
          'A BPE tokenizer that is neither byte-level nor SentencePiece with byte_fallback cannot be converted.',
      });
    }
    const unk = typeof model.unk_token === 'string' ? idOf.get(model.unk_token) : undefined;
    tokens.forEach((token, id) => {
      if (/^<0x[0-9A-F]{2}>$/.test(token)) types[id] = TokenType.BYTE;
    });
    if (unk !== undefined) types[unk] = TokenType.UNKNOWN;
    metadata.set('tokenizer.ggml.model', 'llama');
    metadata.set('tokenizer.ggml.pre', 'default');
    metadata.set('tokenizer.ggml.tokens', tokens);
    const scores = new Float32Array(tokens.length).fill(-1e9);
    ((model.merges ?? []) as (string | [string, string])[]).forEach((merge, rank) => {
      const [left, right] =
        typeof merge === 'string' ? (merge.split(' ') as [string, string]) : merge;
      const id = idOf.get(left + right);
      if (id !== undefined && scores[id] === -1e9) scores[id] = -rank;
    });
    metadata.set('tokenizer.ggml.scores', scores);
    metadata.set('tokenizer.ggml.token_type', Int32Array.from(types));
    if (unk !== undefined) metadata.set('tokenizer.ggml.unknown_token_id', unk);
  }
  const bos =
    special('bos_token') ??
    (typeof config.bos_token_id === 'number' ? config.bos_token_id : undefined);
  const eosConfig = Array.isArray(config.eos_token_id)
    ? config.eos_token_id[0]
    : config.eos_token_id;
  const eos = special('eos_token') ?? (typeof eosConfig === 'number' ? eosConfig : undefined);
  const pad = special('pad_token');
  if (bos !== undefined) metadata.set('tokenizer.ggml.bos_token_id', bos);
  if (eos !== undefined) metadata.set('tokenizer.ggml.eos_token_id', eos);
  if (pad !== undefined) metadata.set('tokenizer.ggml.padding_token_id', pad);
  const addBos =
    typeof tokenizerConfig?.add_bos_token === 'boolean'
      ? tokenizerConfig.add_bos_token
      : postProcessorAddsBos(tokenizer, bos);
  metadata.set('tokenizer.ggml.add_bos_token', addBos);
  metadata.set('tokenizer.ggml.add_eos_token', tokenizerConfig?.add_eos_token === true);
  // GGUF has no normalizer field and llama.cpp applies none; record NFC (Qwen) so llmr's
  // loader can normalize before tokenizing and match Hugging Face.
  if (JSON.stringify(tokenizer.normalizer ?? null).includes('"NFC"'))
    metadata.set('tokenizer.llmr.normalizer', 'NFC');
  const template = chatTemplateOf(tokenizerConfig);
  if (template) metadata.set('tokenizer.chat_template', template);
  return metadata;
}

function postProcessorAddsBos(tokenizer: Json, bos: number | undefined): boolean {
  if (bos === undefined) return false;
  const text = JSON.stringify(tokenizer.post_processor ?? null);
  return text.includes('SpecialToken') && text.includes(`[${bos}]`);
}
