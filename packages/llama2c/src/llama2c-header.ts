/**
 * llama2.c checkpoint headers and where each tensor lies, as llama2.c's export.py writes them:
 * - v0 (legacy_export): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 *   max_seq_len), a negative vocab_size meaning "the classifier is not shared"; float32 tensors
 *   in the order run.c reads them, with the RoPE tables (freqs_cos, freqs_sin) before the
 *   optional classifier.
 * - v1 (version1_export): magic "ak42", version 1, the 7 ints, a shared-classifier byte, padding
 *   to 256 bytes; float32 tensors, norms first.
 * - v2 (version2_export): as v1 plus an int32 group size; norms in float32, then every matrix
 *   as int8 values followed by one float32 scale per group (Q8_0).
 */
import { ParseError } from '@llmr/core';

export const LLAMA2C_MAGIC = 0x616b3432;
export const LLAMA2C_HEADER_SIZE = 256;
/** Largest dimension accepted from a header (llama2.c's largest exports are 8192 wide). */
export const MAX_LLAMA2C_DIMENSION = 1 << 20;

export type Llama2cErrorCode =
  | 'llama2c-invalid-header'
  | 'llama2c-unsupported-version'
  | 'llama2c-size-mismatch'
  | 'llama2c-invalid-tokenizer';

export function llama2cError(code: Llama2cErrorCode, message: string, offset?: number) {
  return new ParseError({ format: 'llama2c', code, message, offset });
}

export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocabSize: number;
  maxSeqLen: number;
  sharedClassifier: boolean;
}

export interface Llama2cHeader {
  version: 0 | 1 | 2;
  config: Llama2cConfig;
  /** v2: values per quantization group. */
  groupSize?: number;
  /** Where tensor data starts. */
  dataOffset: number;
}

/** One tensor in llama2.c's naming (`wq`, `attention_norm`, ...) and where it lies. */
export interface Llama2cTensorSlot {
  /** llama2.c's name, with the layer: `layers.3.wq`, `tok_embeddings`, `freqs_cos`. */
  name: string;
  shape: [number] | [number, number];
  offset: number;
  /** 'f32', or 'q8' (int8 values at `offset`, float32 scales at `scalesOffset`). */
  encoding: 'f32' | 'q8';
  scalesOffset?: number;
}

function positive(value: number, what: string): number {
  if (!Number.isInteger(value) || value <= 0 || value > MAX_LLAMA2C_DIMENSION) {
    throw llama2cError(
      'llama2c-invalid-header',
      `${what} is ${value}; a llama2.c header holds positive sizes up to ${MAX_LLAMA2C_DIMENSION}.`,
    );
  }
  return value;
}

/** Parses the first 256 bytes (or fewer, for a short v0 file). */
export function parseLlama2cHeader(bytes: Uint8Array): Llama2cHeader {
  if (bytes.byteLength < 28)
    throw llama2cError(
      'llama2c-invalid-header',
      `${bytes.byteLength} bytes is too short for a llama2.c header.`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const versioned = view.getUint32(0, true) === LLAMA2C_MAGIC;
  const version = versioned ? view.getInt32(4, true) : 0;
  if (version !== 0 && version !== 1 && version !== 2) {
    throw llama2cError(
      'llama2c-unsupported-version',
      `llama2.c checkpoint version ${version} is not read (versions 0, 1 and 2 are).`,
    );
  }
  if (versioned && bytes.byteLength < LLAMA2C_HEADER_SIZE)
    throw llama2cError('llama2c-invalid-header', 'The 256-byte header is truncated.');
  const at = versioned ? 8 : 0;
  const ints = Array.from({ length: 7 }, (_, index) => view.getInt32(at + index * 4, true));
  const [dim, hiddenDim, layers, heads, kvHeads, vocab, maxSeqLen] = ints as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const config: Llama2cConfig = {
    dim: positive(dim, 'dim'),
    hiddenDim: positive(hiddenDim, 'hidden_dim'),
    layers: positive(layers, 'n_layers'),
    heads: positive(heads, 'n_heads'),
    kvHeads: positive(kvHeads, 'n_kv_heads'),
    vocabSize: positive(Math.abs(vocab), 'vocab_size'),
    maxSeqLen: positive(maxSeqLen, 'max_seq_len'),
    // v0 signals an unshared classifier by a negative vocab size; v1/v2 by a flag byte.
    sharedClassifier: versioned ? view.getUint8(36) === 1 : vocab > 0,
  };
  if (
    config.dim % config.heads !== 0 ||
    config.heads % config.kvHeads !== 0 ||
    (config.dim / config.heads) % 2 !== 0
  ) {
    throw llama2cError(
      'llama2c-invalid-header',
      `dim ${dim}, n_heads ${heads}, n_kv_heads ${kvHeads}: dim must split into heads of even size, and n_heads must be a multiple of n_kv_heads.`,
    );
  }
  if (version !== 2) return { version, config, dataOffset: versioned ? LLAMA2C_HEADER_SIZE : 28 };
  const groupSize = positive(view.getInt32(37, true), 'group_size');
  return { version, config, groupSize, dataOffset: LLAMA2C_HEADER_SIZE };
}

/** Every tensor's place in the file, in the order export.py writes them; and the file's size. */
export function llama2cLayout(header: Llama2cHeader): { slots: Llama2cTensorSlot[]; size: number } {
  const { dim, hiddenDim, layers, heads, kvHeads, vocabSize, maxSeqLen } = header.config;
  const kvDim = (dim * kvHeads) / heads;
  const perLayer = (name: string, shape: [number] | [number, number]) =>
    Array.from({ length: layers }, (_, layer) => ({ name: `layers.${layer}.${name}`, shape }));
  const norms = [
    ...perLayer('attention_norm', [dim]),
    ...perLayer('ffn_norm', [dim]),
    { name: 'norm', shape: [dim] as [number] },
  ];
  const matrices = [
    ...perLayer('wq', [dim, dim]),
    ...perLayer('wk', [kvDim, dim]),
    ...perLayer('wv', [kvDim, dim]),
    ...perLayer('wo', [dim, dim]),
    ...perLayer('w1', [hiddenDim, dim]),
    ...perLayer('w2', [dim, hiddenDim]),
    ...perLayer('w3', [hiddenDim, dim]),
  ];
  const embeddings = { name: 'tok_embeddings', shape: [vocabSize, dim] as [number, number] };
  const output = header.config.sharedClassifier
    ? []
    : [{ name: 'output', shape: [vocabSize, dim] as [number, number] }];
  let order: { name: string; shape: [number] | [number, number] }[];
  if (header.version === 0) {
    const half = dim / heads / 2;
    order = [
      embeddings,
      ...perLayer('attention_norm', [dim]),
      ...matrices.slice(0, 4 * layers),
      ...perLayer('ffn_norm', [dim]),
      ...matrices.slice(4 * layers),
      { name: 'norm', shape: [dim] },
      { name: 'freqs_cos', shape: [maxSeqLen, half] },
      { name: 'freqs_sin', shape: [maxSeqLen, half] },
      ...output,
    ];
  } else {
    order = [...norms, embeddings, ...matrices, ...output];
  }
  const slots: Llama2cTensorSlot[] = [];
  let offset = header.dataOffset;
  // v2 keeps the 1-D norms in float32 and quantizes every matrix; `order` already has the norms first.
  const quantized = header.version === 2;
  for (const tensor of order) {
    const count = tensor.shape.reduce((product, value) => product * value, 1);
    if (quantized && tensor.shape.length === 2) {
      const groupSize = header.groupSize!;
      if (count % groupSize !== 0) {
        throw llama2cError(
          'llama2c-invalid-header',
          `${tensor.name} has ${count} values, not a multiple of group_size ${groupSize}.`,
        );
      }
      slots.push({ ...tensor, offset, encoding: 'q8', scalesOffset: offset + count });
      offset += count + (count / groupSize) * 4;
    } else {
      slots.push({ ...tensor, offset, encoding: 'f32' });
      offset += count * 4;
    }
  }
  return { slots, size: offset };
}
