/**
 * Streaming GGUF v3 writer. The header (metadata and tensor infos) comes first and needs every
 * tensor's size, which dims and type give, so tensor *descriptions* are collected first and
 * their *data* is fetched one tensor at a time while writing: with lazy `data` (a function),
 * memory stays bounded by the largest tensor. Float32 data is quantized on the fly, in chunks.
 *
 * The layout is the one llama.cpp writes and requires: tensors in the given order, each at an
 * offset that is a multiple of the alignment, padded with zeros in between.
 */
import {
  type ByteSinkInput,
  bufferSink,
  loadTensorData,
  type OpenedSink,
  openByteSink,
  progressCounter,
  writeEncodedInChunks,
  writeInChunks,
  writeThenClose,
} from '@llmr/binary-io';
import { InvalidArgumentError, throwIfAborted } from '@llmr/core';
import { GgmlType, ggmlTypeInfo, ggmlTypeName, isGgmlType } from './ggml-type';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './gguf-header-parser';
import {
  type GgufScalar,
  type GgufScalarType,
  type GgufTensorInfo,
  type GgufValue,
  GgufValueType,
  ggufValueTypeName,
} from './gguf-types';
import { canQuantize, quantize } from './quantize';

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

/** Tensor data: float32 values to encode as the tensor's type, or its encoded bytes. */
export type GgufTensorData = Float32Array | Uint8Array | ArrayBufferView;

export interface GgufWriteTensor {
  /** At most 63 bytes of UTF-8 (llama.cpp's `GGML_MAX_NAME`). */
  name: string;
  /** ggml order, innermost first: a PyTorch `[rows, columns]` weight has dims `[columns, rows]`. */
  dims: readonly number[];
  type: GgmlType;
  /**
   * A Float32Array of `product(dims)` values is encoded as `type` (F32, F16, BF16, Q8_0, Q4_0,
   * Q4_1, Q5_0, Q5_1); any other view is taken as already-encoded bytes of exactly the tensor's
   * size. Pass a function to load the data only when the writer gets to this tensor.
   */
  data: GgufTensorData | (() => GgufTensorData | Promise<GgufTensorData>);
}

export interface GgufWriteInput {
  /** Key/value pairs, written in iteration order. */
  metadata?:
    | Record<string, GgufMetadataInput>
    | Map<string, GgufMetadataInput>
    | Iterable<readonly [string, GgufMetadataInput]>;
  tensors?: Iterable<GgufWriteTensor> | AsyncIterable<GgufWriteTensor>;
  /** Data alignment (power of two). Defaults to `general.alignment` in the metadata, else 32. */
  alignment?: number;
}

export interface GgufWriteOptions {
  signal?: AbortSignal;
  /** Called after each chunk with the bytes written so far and the total. */
  onProgress?: (progress: { bytesWritten: number; totalBytes: number }) => void;
}

export interface GgufWriteResult {
  /** Size of the written file. */
  byteLength: number;
  alignment: number;
  /** Bytes of metadata and tensor infos (before padding). */
  headerSize: number;
  /** Offset of the data section. */
  dataOffset: number;
  /** The tensor infos as written (offsets relative to `dataOffset`). */
  tensors: GgufTensorInfo[];
}

/** llama.cpp's `GGML_MAX_NAME` (64) including the terminating zero. */
export const GGUF_MAX_TENSOR_NAME_BYTES = 63;
/** Float32 values quantized per chunk while writing (4 MiB of input). */
const QUANTIZE_CHUNK_VALUES = 1 << 20;

const textEncoder = new TextEncoder();

type NormalizedValue =
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

function knownKeyType(key: string): GgufScalarType | undefined {
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

class MetadataError extends InvalidArgumentError {
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

function normalize(
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

/** Growable little-endian byte buffer for the header. */
class ByteBuilder {
  private buffer = new Uint8Array(4096);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.byteLength) return;
    let capacity = this.buffer.byteLength * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }
  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }
  u64(value: bigint | number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }
  string(value: string): void {
    const bytes = textEncoder.encode(value);
    this.u64(bytes.byteLength);
    this.reserve(bytes.byteLength);
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }
  scalar(type: GgufScalarType, value: GgufScalar): void {
    const view = () => this.view;
    const at = () => this.length;
    switch (type) {
      case GgufValueType.UINT8:
        this.u8(value as number);
        return;
      case GgufValueType.INT8:
        this.reserve(1);
        view().setInt8(at(), value as number);
        this.length += 1;
        return;
      case GgufValueType.UINT16:
        this.reserve(2);
        view().setUint16(at(), value as number, true);
        this.length += 2;
        return;
      case GgufValueType.INT16:
        this.reserve(2);
        view().setInt16(at(), value as number, true);
        this.length += 2;
        return;
      case GgufValueType.UINT32:
        this.u32(value as number);
        return;
      case GgufValueType.INT32:
        this.reserve(4);
        view().setInt32(at(), value as number, true);
        this.length += 4;
        return;
      case GgufValueType.FLOAT32:
        this.reserve(4);
        view().setFloat32(at(), value as number, true);
        this.length += 4;
        return;
      case GgufValueType.FLOAT64:
        this.reserve(8);
        view().setFloat64(at(), value as number, true);
        this.length += 8;
        return;
      case GgufValueType.BOOL:
        this.u8(value ? 1 : 0);
        return;
      case GgufValueType.UINT64:
        this.u64(BigInt(value as bigint | number));
        return;
      case GgufValueType.INT64:
        this.reserve(8);
        view().setBigInt64(at(), BigInt(value as bigint | number), true);
        this.length += 8;
        return;
      case GgufValueType.STRING:
        this.string(value as string);
        return;
    }
  }
  value(value: NormalizedValue): void {
    if (value.type !== GgufValueType.ARRAY) {
      this.scalar(value.type, value.value);
      return;
    }
    this.u32(value.itemType);
    this.u64(value.value.length);
    if (value.itemType === GgufValueType.ARRAY) {
      for (const item of value.value as NormalizedValue[]) this.value(item);
      return;
    }
    const items = value.value as ArrayLike<GgufScalar>;
    for (let index = 0; index < items.length; index++) this.scalar(value.itemType, items[index]!);
  }
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

interface PlannedTensor extends GgufTensorInfo {
  data: GgufWriteTensor['data'];
}

interface GgufPlan {
  header: Uint8Array;
  alignment: number;
  dataOffset: number;
  byteLength: number;
  tensors: PlannedTensor[];
}

function metadataEntries(metadata: GgufWriteInput['metadata']): [string, GgufMetadataInput][] {
  if (!metadata) return [];
  if (metadata instanceof Map) return [...metadata.entries()];
  if (typeof (metadata as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...(metadata as Iterable<readonly [string, GgufMetadataInput]>)].map(([key, value]) => [
      key,
      value,
    ]);
  }
  return Object.entries(metadata as Record<string, GgufMetadataInput>);
}

function resolveAlignment(
  option: number | undefined,
  metadata: [string, NormalizedValue][],
): number {
  const entry = metadata.find(([key]) => key === 'general.alignment');
  const fromMetadata = entry ? Number(entry[1].value) : undefined;
  if (entry && entry[1].type !== GgufValueType.UINT32) {
    throw new MetadataError('general.alignment', 'must be UINT32 (llama.cpp reads it as one).');
  }
  if (option !== undefined && fromMetadata !== undefined && option !== fromMetadata) {
    throw new InvalidArgumentError({
      argument: 'alignment',
      value: option,
      message: `alignment ${option} disagrees with general.alignment ${fromMetadata} in the metadata; give one of them.`,
    });
  }
  const alignment = option ?? fromMetadata ?? GGUF_DEFAULT_ALIGNMENT;
  if (
    !Number.isInteger(alignment) ||
    alignment < 1 ||
    alignment > 2 ** 30 ||
    (alignment & (alignment - 1)) !== 0
  ) {
    throw new InvalidArgumentError({
      argument: 'alignment',
      value: alignment,
      message: `Alignment ${alignment} is not a power of two between 1 and 2^30.`,
    });
  }
  if (!entry && alignment !== GGUF_DEFAULT_ALIGNMENT) {
    metadata.push(['general.alignment', { type: GgufValueType.UINT32, value: alignment }]);
  }
  return alignment;
}

function checkTensor(
  tensor: GgufWriteTensor,
  names: Set<string>,
): { elementCount: number; byteLength: number } {
  const { name, dims, type } = tensor;
  const fail = (message: string, value?: unknown): never => {
    throw new InvalidArgumentError({
      argument: `tensors["${String(name)}"]`,
      value,
      message: `Tensor "${String(name)}": ${message}`,
    });
  };
  if (typeof name !== 'string' || name.length === 0)
    fail('the name must be a non-empty string.', name);
  if (textEncoder.encode(name).byteLength > GGUF_MAX_TENSOR_NAME_BYTES) {
    fail(
      `the name is longer than ${GGUF_MAX_TENSOR_NAME_BYTES} bytes, which llama.cpp cannot load.`,
      name,
    );
  }
  if (names.has(name)) fail('the name is used twice.');
  names.add(name);
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > 4)
    fail('dims must list 1 to 4 dimensions.', dims);
  let elementCount = 1;
  for (const size of dims) {
    if (!Number.isSafeInteger(size) || size < 0)
      fail(`dimension ${String(size)} is not a non-negative integer.`, dims);
    elementCount *= size;
  }
  if (elementCount > Number.MAX_SAFE_INTEGER) fail('the element count overflows 2^53.', dims);
  const info = isGgmlType(type) ? ggmlTypeInfo(type) : undefined;
  if (!info) return fail(`unknown ggml type ${String(type)}.`, type);
  if (dims[0]! % info.blockSize !== 0) {
    fail(
      `${info.name} needs the first dimension to be a multiple of ${info.blockSize}; it is ${dims[0]}. Keep this tensor in F16 or F32.`,
      dims,
    );
  }
  return { elementCount, byteLength: (elementCount / info.blockSize) * info.typeSize };
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

async function planGguf(input: GgufWriteInput): Promise<GgufPlan> {
  const metadata: [string, NormalizedValue][] = [];
  const keys = new Set<string>();
  for (const [key, value] of metadataEntries(input.metadata)) {
    if (typeof key !== 'string')
      throw new InvalidArgumentError({
        argument: 'metadata',
        value: key,
        message: 'Metadata keys must be strings.',
      });
    if (keys.has(key)) throw new MetadataError(key, 'the key is given twice.');
    keys.add(key);
    metadata.push([key, normalize(key, value, 0, knownKeyType(key))]);
  }
  const alignment = resolveAlignment(input.alignment, metadata);

  const tensors: PlannedTensor[] = [];
  const names = new Set<string>();
  let offset = 0;
  if (input.tensors) {
    for await (const tensor of input.tensors as AsyncIterable<GgufWriteTensor>) {
      const { elementCount, byteLength } = checkTensor(tensor, names);
      tensors.push({
        name: tensor.name,
        dims: [...tensor.dims],
        type: tensor.type,
        offset,
        byteLength,
        elementCount,
        data: tensor.data,
      });
      offset += alignUp(byteLength, alignment);
    }
  }

  const builder = new ByteBuilder();
  builder.u32(GGUF_MAGIC);
  builder.u32(3);
  builder.u64(tensors.length);
  builder.u64(metadata.length);
  for (const [key, value] of metadata) {
    builder.string(key);
    builder.u32(value.type);
    builder.value(value);
  }
  for (const tensor of tensors) {
    builder.string(tensor.name);
    builder.u32(tensor.dims.length);
    for (const size of tensor.dims) builder.u64(size);
    builder.u32(tensor.type);
    builder.u64(tensor.offset);
  }
  const header = builder.bytes();
  const dataOffset = alignUp(header.byteLength, alignment);
  return { header, alignment, dataOffset, byteLength: dataOffset + offset, tensors };
}

async function writeTensorData(
  tensor: PlannedTensor,
  sink: OpenedSink,
  signal: AbortSignal | undefined,
  onChunk: (bytes: number) => void,
): Promise<void> {
  const { data, fail } = await loadTensorData(tensor.name, tensor.data);
  if (!ArrayBuffer.isView(data))
    return fail('data must be a Float32Array or a typed array of encoded bytes.');
  if (data instanceof Float32Array && tensor.type !== GgmlType.F32) {
    if (!canQuantize(tensor.type)) {
      return fail(
        `cannot encode float32 values as ${ggmlTypeName(tensor.type)}; pass encoded bytes (a Uint8Array) instead.`,
      );
    }
    if (data.length !== tensor.elementCount)
      fail(`${data.length} values given; dims need ${tensor.elementCount}.`);
    const blockSize = ggmlTypeInfo(tensor.type)!.blockSize;
    const step = Math.max(blockSize, QUANTIZE_CHUNK_VALUES - (QUANTIZE_CHUNK_VALUES % blockSize));
    const type = tensor.type;
    await writeEncodedInChunks(sink, data, (values) => quantize(values, type), {
      chunkLength: step,
      signal,
      onChunk,
    });
    return;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength !== tensor.byteLength) {
    fail(
      `${bytes.byteLength} bytes of ${ggmlTypeName(tensor.type)} data given; dims [${tensor.dims.join(', ')}] need ${tensor.byteLength}.` +
        (data instanceof Float32Array
          ? ''
          : ' To have the writer encode values, pass a Float32Array.'),
    );
  }
  await writeInChunks(sink, bytes, { signal, onChunk });
}

async function writePlan(
  plan: GgufPlan,
  sink: OpenedSink,
  options: GgufWriteOptions,
): Promise<GgufWriteResult> {
  const progress = progressCounter(plan.byteLength, options.onProgress);
  await writeThenClose(sink, async () => {
    await sink.write(plan.header);
    progress(plan.header.byteLength);
    const headerPadding = plan.dataOffset - plan.header.byteLength;
    if (headerPadding > 0) {
      await sink.write(new Uint8Array(headerPadding));
      progress(headerPadding);
    }
    for (const tensor of plan.tensors) {
      throwIfAborted(options.signal);
      await writeTensorData(tensor, sink, options.signal, progress);
      const padding = alignUp(tensor.byteLength, plan.alignment) - tensor.byteLength;
      if (padding > 0) {
        await sink.write(new Uint8Array(padding));
        progress(padding);
      }
    }
  });
  return {
    byteLength: plan.byteLength,
    alignment: plan.alignment,
    headerSize: plan.header.byteLength,
    dataOffset: plan.dataOffset,
    tensors: plan.tensors.map(({ data: _data, ...info }) => info),
  };
}

/**
 * Writes a GGUF v3 file to a path (Node), a WritableStream or a `{ write(chunk) }` sink. The
 * header is written first, then each tensor's data in order. On failure a file is removed.
 */
export async function writeGguf(
  input: GgufWriteInput,
  sink: ByteSinkInput,
  options: GgufWriteOptions = {},
): Promise<GgufWriteResult> {
  const plan = await planGguf(input);
  const opened = await openByteSink(sink);
  return writePlan(plan, opened, options);
}

/** Writes a GGUF v3 file into memory (one allocation of the exact file size). */
export async function writeGgufToBuffer(
  input: GgufWriteInput,
  options: GgufWriteOptions = {},
): Promise<Uint8Array> {
  const plan = await planGguf(input);
  const output = new Uint8Array(plan.byteLength);
  await writePlan(plan, bufferSink(output), options);
  return output;
}
