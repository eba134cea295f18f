/**
 * Typed accessors for the metadata keys loaders need (architecture, sizes, RoPE, norms,
 * tokenizer, chat template) and a parameter count. 64-bit integers come back as numbers when
 * they fit in 2^53; a value of the wrong type is a `gguf-invalid-value` ParseError rather than a
 * silent `undefined`.
 */

import { llamaFileTypeName } from './ggml-type';
import { ggufError } from './gguf-error';
import type { GgufHeader, GgufValue } from './gguf-types';

type MetadataHolder = Pick<GgufHeader, 'metadata'>;

function describe(value: GgufValue): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

function toNumber(key: string, value: GgufValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    if (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER))
      return Number(value);
    throw ggufError(
      'gguf-invalid-value',
      `Metadata "${key}" is ${value}, too large to use as a number.`,
    );
  }
  throw ggufError(
    'gguf-invalid-value',
    `Metadata "${key}" should be a number but is ${describe(value)}.`,
  );
}

/** A numeric metadata value (any integer or float type), or `undefined` when absent. */
export function getGgufNumber(header: MetadataHolder, key: string): number | undefined {
  const value = header.metadata[key];
  return value === undefined ? undefined : toNumber(key, value);
}

/** A numeric value, or an array of them (per-layer values such as `head_count` in some models). */
export function getGgufNumberOrArray(
  header: MetadataHolder,
  key: string,
): number | number[] | undefined {
  const value = header.metadata[key];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((item) => toNumber(key, item));
  return toNumber(key, value);
}

export function getGgufString(header: MetadataHolder, key: string): string | undefined {
  const value = header.metadata[key];
  if (value === undefined || typeof value === 'string') return value;
  throw ggufError(
    'gguf-invalid-value',
    `Metadata "${key}" should be a string but is ${describe(value)}.`,
  );
}

export function getGgufBoolean(header: MetadataHolder, key: string): boolean | undefined {
  const value = header.metadata[key];
  if (value === undefined || typeof value === 'boolean') return value;
  throw ggufError(
    'gguf-invalid-value',
    `Metadata "${key}" should be a boolean but is ${describe(value)}.`,
  );
}

export function getGgufStringArray(header: MetadataHolder, key: string): string[] | undefined {
  const value = header.metadata[key];
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    return value as string[];
  throw ggufError(
    'gguf-invalid-value',
    `Metadata "${key}" should be an array of strings but is ${describe(value)}.`,
  );
}

export function getGgufNumberArray(header: MetadataHolder, key: string): number[] | undefined {
  const value = header.metadata[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw ggufError(
      'gguf-invalid-value',
      `Metadata "${key}" should be an array of numbers but is ${describe(value)}.`,
    );
  }
  return value.map((item) => toNumber(key, item));
}

/** The tokenizer stored in `tokenizer.ggml.*` (what a GGUF tokenizer needs to rebuild itself). */
export interface GgufTokenizerInfo {
  /** `llama` (SentencePiece), `gpt2` (byte-level BPE), `bert`, `t5`, ... */
  model?: string;
  /** Pre-tokenizer name (`llama-bpe`, `qwen2`, ...). */
  pre?: string;
  tokens?: string[];
  scores?: number[];
  /** `llama_token_type` per token: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
  tokenTypes?: number[];
  merges?: string[];
  bosTokenId?: number;
  eosTokenId?: number;
  eotTokenId?: number;
  unknownTokenId?: number;
  separatorTokenId?: number;
  paddingTokenId?: number;
  addBosToken?: boolean;
  addEosToken?: boolean;
  /** Jinja chat template (`tokenizer.chat_template`). */
  chatTemplate?: string;
}

/** What a loader wants to know about a GGUF model, from its metadata and tensor infos. */
export interface GgufModelInfo {
  /** `general.architecture`: `llama`, `qwen2`, `gemma3`, ... */
  architecture?: string;
  /** `general.name`. */
  name?: string;
  /** `general.file_type` (a `LlamaFileType`). */
  fileType?: number;
  /** Its name (`Q4_K_M`), when known. */
  fileTypeName?: string;
  quantizationVersion?: number;
  contextLength?: number;
  embeddingLength?: number;
  blockCount?: number;
  feedForwardLength?: number | number[];
  headCount?: number | number[];
  headCountKv?: number | number[];
  vocabSize?: number;
  ropeFreqBase?: number;
  ropeDimensionCount?: number;
  rmsNormEpsilon?: number;
  layerNormEpsilon?: number;
  expertCount?: number;
  expertUsedCount?: number;
  /** Sum of the element counts of all tensors. */
  parameterCount: number;
  tokenizer: GgufTokenizerInfo;
  /** Same as `tokenizer.chatTemplate`. */
  chatTemplate?: string;
}

/** Number of parameters: the sum of every tensor's element count. */
export function ggufParameterCount(header: Pick<GgufHeader, 'tensors'>): number {
  let total = 0;
  for (const tensor of header.tensors) total += tensor.elementCount;
  return total;
}

/** `general.architecture`, or `undefined`. */
export function getGgufArchitecture(header: MetadataHolder): string | undefined {
  return getGgufString(header, 'general.architecture');
}

/** `<architecture>.context_length`. */
export function getGgufContextLength(header: MetadataHolder): number | undefined {
  const architecture = getGgufArchitecture(header);
  return architecture === undefined
    ? undefined
    : getGgufNumber(header, `${architecture}.context_length`);
}

/** `tokenizer.chat_template`. */
export function getGgufChatTemplate(header: MetadataHolder): string | undefined {
  return getGgufString(header, 'tokenizer.chat_template');
}

function stripUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

/** Reads the common keys into one object. Throws `gguf-invalid-value` for mistyped values. */
export function getGgufModelInfo(header: Pick<GgufHeader, 'metadata' | 'tensors'>): GgufModelInfo {
  const architecture = getGgufArchitecture(header);
  const prefix = architecture ?? '';
  const archNumber = (suffix: string) =>
    architecture === undefined ? undefined : getGgufNumber(header, `${prefix}.${suffix}`);
  const archNumbers = (suffix: string) =>
    architecture === undefined ? undefined : getGgufNumberOrArray(header, `${prefix}.${suffix}`);
  const fileType = getGgufNumber(header, 'general.file_type');
  const chatTemplate = getGgufChatTemplate(header);
  const tokenizer = stripUndefined<GgufTokenizerInfo>({
    model: getGgufString(header, 'tokenizer.ggml.model'),
    pre: getGgufString(header, 'tokenizer.ggml.pre'),
    tokens: getGgufStringArray(header, 'tokenizer.ggml.tokens'),
    scores: getGgufNumberArray(header, 'tokenizer.ggml.scores'),
    tokenTypes: getGgufNumberArray(header, 'tokenizer.ggml.token_type'),
    merges: getGgufStringArray(header, 'tokenizer.ggml.merges'),
    bosTokenId: getGgufNumber(header, 'tokenizer.ggml.bos_token_id'),
    eosTokenId: getGgufNumber(header, 'tokenizer.ggml.eos_token_id'),
    eotTokenId: getGgufNumber(header, 'tokenizer.ggml.eot_token_id'),
    unknownTokenId: getGgufNumber(header, 'tokenizer.ggml.unknown_token_id'),
    separatorTokenId: getGgufNumber(header, 'tokenizer.ggml.seperator_token_id'),
    paddingTokenId: getGgufNumber(header, 'tokenizer.ggml.padding_token_id'),
    addBosToken: getGgufBoolean(header, 'tokenizer.ggml.add_bos_token'),
    addEosToken: getGgufBoolean(header, 'tokenizer.ggml.add_eos_token'),
    chatTemplate,
  });
  return stripUndefined<GgufModelInfo>({
    architecture,
    name: getGgufString(header, 'general.name'),
    fileType,
    fileTypeName: fileType === undefined ? undefined : llamaFileTypeName(fileType),
    quantizationVersion: getGgufNumber(header, 'general.quantization_version'),
    contextLength: archNumber('context_length'),
    embeddingLength: archNumber('embedding_length'),
    blockCount: archNumber('block_count'),
    feedForwardLength: archNumbers('feed_forward_length'),
    headCount: archNumbers('attention.head_count'),
    headCountKv: archNumbers('attention.head_count_kv'),
    vocabSize: archNumber('vocab_size') ?? tokenizer.tokens?.length,
    ropeFreqBase: archNumber('rope.freq_base'),
    ropeDimensionCount: archNumber('rope.dimension_count'),
    rmsNormEpsilon: archNumber('attention.layer_norm_rms_epsilon'),
    layerNormEpsilon: archNumber('attention.layer_norm_epsilon'),
    expertCount: archNumber('expert_count'),
    expertUsedCount: archNumber('expert_used_count'),
    parameterCount: ggufParameterCount(header),
    tokenizer,
    chatTemplate,
  });
}
