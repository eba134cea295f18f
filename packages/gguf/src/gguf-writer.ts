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
import { ByteBuilder } from './gguf-header-builder';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './gguf-header-parser';
import {
  type GgufMetadataInput,
  knownKeyType,
  MetadataError,
  type NormalizedValue,
  normalize,
} from './gguf-metadata-value';
import { type GgufTensorInfo, GgufValueType } from './gguf-types';
import { canQuantize, quantize } from './quantize';

export type {
  GgufMetadataInput,
  GgufNumberArray,
  GgufTypedValueInput,
} from './gguf-metadata-value';

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
