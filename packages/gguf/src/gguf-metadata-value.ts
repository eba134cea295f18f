/**
 * Metadata values for the GGUF writer: what callers may pass (plain values, typed arrays,
 * explicitly typed values) and their normalization to one GGUF type each, inferred from
 * llama.cpp's well-known keys or from the value, with every number range-checked.
 */
import { InvalidArgumentError } from '@llmr/core';
import {
  type GgufScalar,
  type GgufScalarType,
  type GgufValue,
  GgufValueType,
  ggufValueTypeName,
} from './gguf-types';

/** Typed arrays accepted as metadata arrays (their element type picks the GGUF item type). */
export type GgufNumberArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** A metadata value with an explicit GGUF type (what `GgufHeader.typedMetadata` holds). */
export interface GgufTypedValueInput {
  type: GgufValueType;
  /** Item type, for `ARRAY` values. */
  itemType?: GgufValueType;
  value: GgufScalar | readonly GgufScalar[] | GgufNumberArray | readonly GgufMetadataInput[];
}

/**
 * A metadata value to write. Plain values get a type inferred from the key (llama.cpp's known
 * keys: `*.context_length` is UINT32, `*.rope.freq_base` FLOAT32, `tokenizer.ggml.scores` an
 * array of FLOAT32, ...) or from the value (strings, booleans; integers UINT32/INT32/INT64,
 * other numbers FLOAT32, bigints UINT64/INT64). Pass a typed value for anything else.
 */
export type GgufMetadataInput =
  | GgufValue
  | readonly GgufValue[]
  | GgufNumberArray
  | GgufTypedValueInput;

export type NormalizedValue =
  | { type: GgufScalarType; value: GgufScalar }
  | { type: typeof GgufValueType.ARRAY; itemType: GgufScalarType; value: ArrayLike<GgufScalar> }
  | {
      type: typeof GgufValueType.ARRAY;
      itemType: typeof GgufValueType.ARRAY;
      value: NormalizedValue[];
    };

/** Types llama.cpp expects for well-known keys (it checks them when loading). */
const knownKeyTypes: [RegExp, GgufScalarType][] = [
  [/^general\.(alignment|file_type|quantization_version)$/, GgufValueType.UINT32],
  [
    /\.(context_length|embedding_length|block_count|feed_forward_length|vocab_size|expert_count|expert_used_count|expert_shared_count|expert_feed_forward_length|leading_dense_block_count)$/,
    GgufValueType.UINT32,
  ],
  [
    /\.attention\.(head_count|head_count_kv|key_length|value_length|sliding_window|q_lora_rank|kv_lora_rank)$/,
    GgufValueType.UINT32,
  ],
  [/\.rope\.(dimension_count|scaling\.original_context_length)$/, GgufValueType.UINT32],
  [/^tokenizer\.ggml\.[a-z_]+_token_id$/, GgufValueType.UINT32],
  [
    /\.attention\.(layer_norm_epsilon|layer_norm_rms_epsilon|clamp_kqv|max_alibi_bias)$/,
    GgufValueType.FLOAT32,
  ],
  [/\.rope\.(freq_base|scaling\.factor|scaling\.attn_factor)$/, GgufValueType.FLOAT32],
  [/\.(logit_scale|expert_weights_scale)$/, GgufValueType.FLOAT32],
  [/^tokenizer\.ggml\.scores$/, GgufValueType.FLOAT32],
  [/^tokenizer\.ggml\.token_type$/, GgufValueType.INT32],
  [/^tokenizer\.ggml\.(tokens|merges)$/, GgufValueType.STRING],
];

export function knownKeyType(key: string): GgufScalarType | undefined {
  for (const [pattern, type] of knownKeyTypes) if (pattern.test(key)) return type;
  return undefined;
}

function typedArrayItemType(value: ArrayBufferView): GgufScalarType | undefined {
  if (value instanceof Float32Array) return GgufValueType.FLOAT32;
  if (value instanceof Float64Array) return GgufValueType.FLOAT64;
  if (value instanceof Int8Array) return GgufValueType.INT8;
  if (value instanceof Uint8Array) return GgufValueType.UINT8;
  if (value instanceof Int16Array) return GgufValueType.INT16;
  if (value instanceof Uint16Array) return GgufValueType.UINT16;
  if (value instanceof Int32Array) return GgufValueType.INT32;
  if (value instanceof Uint32Array) return GgufValueType.UINT32;
  if (value instanceof BigInt64Array) return GgufValueType.INT64;
  if (value instanceof BigUint64Array) return GgufValueType.UINT64;
  return undefined;
}

const ranges: Partial<Record<GgufScalarType, [number, number]>> = {
  [GgufValueType.UINT8]: [0, 0xff],
  [GgufValueType.INT8]: [-0x80, 0x7f],
  [GgufValueType.UINT16]: [0, 0xffff],
  [GgufValueType.INT16]: [-0x8000, 0x7fff],
  [GgufValueType.UINT32]: [0, 0xffffffff],
  [GgufValueType.INT32]: [-0x80000000, 0x7fffffff],
};

export class MetadataError extends InvalidArgumentError {
  constructor(key: string, message: string, value?: unknown) {
    super({ argument: `metadata["${key}"]`, value, message: `Metadata "${key}": ${message}` });
  }
}

function isTypedInput(value: unknown): value is GgufTypedValueInput {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    typeof (value as GgufTypedValueInput).type === 'number' &&
    'value' in value
  );
}

function isArrayInput(item: unknown): boolean {
  return (
    Array.isArray(item) ||
    ArrayBuffer.isView(item) ||
    (isTypedInput(item) && item.type === GgufValueType.ARRAY)
  );
}

function inferScalarType(
  key: string,
  value: unknown,
  hint: GgufScalarType | undefined,
): GgufScalarType {
  if (typeof value === 'string') return GgufValueType.STRING;
  if (typeof value === 'boolean') return GgufValueType.BOOL;
  if (typeof value === 'bigint')
    return hint === GgufValueType.INT64 || value < 0n ? GgufValueType.INT64 : GgufValueType.UINT64;
  if (typeof value === 'number') {
    if (hint !== undefined && hint !== GgufValueType.STRING && hint !== GgufValueType.BOOL)
      return hint;
    if (!Number.isInteger(value)) return GgufValueType.FLOAT32;
    if (value >= 0 && value <= 0xffffffff) return GgufValueType.UINT32;
    if (value < 0 && value >= -0x80000000) return GgufValueType.INT32;
    if (Number.isSafeInteger(value)) return GgufValueType.INT64;
    return GgufValueType.FLOAT32;
  }
  throw new MetadataError(
    key,
    `cannot write a value of type ${value === null ? 'null' : typeof value}.`,
    value,
  );
}

/** One item type for a plain array: the widest its items need. */
function inferArrayItemType(
  key: string,
  items: readonly unknown[],
  hint: GgufScalarType | undefined,
): GgufScalarType | 'array' {
  if (items.length === 0) return hint ?? GgufValueType.STRING;
  if (items.every(isArrayInput)) return 'array';
  const kinds = new Set(items.map((item) => typeof item));
  if (kinds.size !== 1) {
    throw new MetadataError(
      key,
      `array items mix ${[...kinds].join(' and ')}; GGUF arrays have one item type.`,
    );
  }
  const first = items[0];
  if (typeof first !== 'number') return inferScalarType(key, first, hint);
  if (hint !== undefined && hint !== GgufValueType.STRING && hint !== GgufValueType.BOOL)
    return hint;
  const numbers = items as number[];
  if (!numbers.every(Number.isInteger)) return GgufValueType.FLOAT32;
  if (numbers.every((item) => item >= 0 && item <= 0xffffffff)) return GgufValueType.UINT32;
  if (numbers.every((item) => item >= -0x80000000 && item <= 0x7fffffff))
    return GgufValueType.INT32;
  if (numbers.every(Number.isSafeInteger)) return GgufValueType.INT64;
  return GgufValueType.FLOAT32;
}

function checkScalar(key: string, type: GgufScalarType, value: unknown): GgufScalar {
  switch (type) {
    case GgufValueType.STRING:
      if (typeof value !== 'string')
        throw new MetadataError(key, `expected a string for STRING, got ${typeof value}.`, value);
      return value;
    case GgufValueType.BOOL:
      if (typeof value !== 'boolean')
        throw new MetadataError(key, `expected a boolean for BOOL, got ${typeof value}.`, value);
      return value;
    case GgufValueType.FLOAT32:
    case GgufValueType.FLOAT64:
      if (typeof value !== 'number') {
        throw new MetadataError(
          key,
          `expected a number for ${ggufValueTypeName(type).toUpperCase()}, got ${typeof value}.`,
          value,
        );
      }
      return value;
    case GgufValueType.UINT64:
    case GgufValueType.INT64: {
      const unsigned = type === GgufValueType.UINT64;
      let big: bigint;
      if (typeof value === 'bigint') big = value;
      else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
      else
        throw new MetadataError(
          key,
          `expected a bigint or safe integer for ${unsigned ? 'UINT64' : 'INT64'}.`,
          value,
        );
      const [low, high] = unsigned ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
      if (big < low || big > high)
        throw new MetadataError(
          key,
          `${big} is out of range for ${unsigned ? 'UINT64' : 'INT64'}.`,
          value,
        );
      return big;
    }
    default: {
      const range = ranges[type];
      if (!range) throw new MetadataError(key, `unknown value type ${type}.`, value);
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value < range[0] ||
        value > range[1]
      ) {
        throw new MetadataError(
          key,
          `${String(value)} is not an integer in [${range[0]}, ${range[1]}] (${ggufValueTypeName(type).toUpperCase()}).`,
          value,
        );
      }
      return value;
    }
  }
}

function isScalarType(type: unknown): type is GgufScalarType {
  return (
    typeof type === 'number' &&
    Number.isInteger(type) &&
    type >= 0 &&
    type <= 12 &&
    type !== GgufValueType.ARRAY
  );
}

function normalizeTyped(key: string, input: GgufTypedValueInput, depth: number): NormalizedValue {
  if (input.type !== GgufValueType.ARRAY) {
    if (!isScalarType(input.type))
      throw new MetadataError(key, `unknown value type ${String(input.type)}.`, input);
    return { type: input.type, value: checkScalar(key, input.type, input.value) };
  }
  const items = input.value;
  if (!Array.isArray(items) && !ArrayBuffer.isView(items)) {
    throw new MetadataError(
      key,
      'an ARRAY value needs an array (or typed array) as its value.',
      input,
    );
  }
  if (input.itemType === GgufValueType.ARRAY) {
    if (depth >= 8) throw new MetadataError(key, 'arrays are nested more than 8 deep.');
    return {
      type: GgufValueType.ARRAY,
      itemType: GgufValueType.ARRAY,
      value: (items as readonly GgufMetadataInput[]).map((item) => {
        if (!isArrayInput(item))
          throw new MetadataError(key, 'an array of arrays holds a non-array item.', item);
        return normalize(key, item, depth + 1, undefined);
      }),
    };
  }
  if (!isScalarType(input.itemType)) {
    throw new MetadataError(
      key,
      `an ARRAY value needs an itemType (0-12), got ${String(input.itemType)}.`,
      input,
    );
  }
  const itemType = input.itemType;
  const list = items as ArrayLike<unknown>;
  for (let index = 0; index < list.length; index++) checkScalar(key, itemType, list[index]);
  return { type: GgufValueType.ARRAY, itemType, value: list as ArrayLike<GgufScalar> };
}

export function normalize(
  key: string,
  input: GgufMetadataInput,
  depth: number,
  hint: GgufScalarType | undefined,
): NormalizedValue {
  if (isTypedInput(input)) return normalizeTyped(key, input, depth);
  if (ArrayBuffer.isView(input)) {
    const itemType = typedArrayItemType(input);
    if (itemType === undefined) throw new MetadataError(key, 'unsupported typed array.', input);
    return {
      type: GgufValueType.ARRAY,
      itemType,
      value: input as unknown as ArrayLike<GgufScalar>,
    };
  }
  if (Array.isArray(input)) {
    const itemType = inferArrayItemType(key, input, hint);
    if (itemType === 'array') {
      if (depth >= 8) throw new MetadataError(key, 'arrays are nested more than 8 deep.');
      return {
        type: GgufValueType.ARRAY,
        itemType: GgufValueType.ARRAY,
        value: input.map((item: GgufMetadataInput) => normalize(key, item, depth + 1, hint)),
      };
    }
    return normalizeTyped(
      key,
      { type: GgufValueType.ARRAY, itemType, value: input as GgufScalar[] },
      depth,
    );
  }
  const type = inferScalarType(key, input, hint);
  return { type, value: checkScalar(key, type, input) };
}
