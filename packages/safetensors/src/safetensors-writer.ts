/**
 * Streaming safetensors writer, single file or sharded. The header lists every tensor's offsets,
 * so tensor *descriptions* are collected first and their *data* is fetched one tensor at a time
 * while writing: with lazy `data` (a function) memory stays bounded by the largest tensor.
 *
 * Like the reference implementation, tensors are ordered by dtype size (largest first) then name,
 * so each is aligned to its element size, and the JSON header is padded with spaces to a multiple
 * of 8 bytes.
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
import { SAFETENSORS_INDEX_FILE } from './safetensors-checkpoint';
import {
  fromFloat32,
  isSafetensorsDtype,
  referenceDtypeRank,
  SAFETENSORS_DTYPE_SIZES,
  type SafetensorsDtype,
} from './safetensors-dtype';
import type { SafetensorsTensorInfo } from './safetensors-header';

/** Tensor data: little-endian bytes of the dtype (any typed array), or float32 values for F16/BF16/F64. */
export type SafetensorsTensorData = ArrayBufferView;

export interface SafetensorsWriteTensor {
  name: string;
  dtype: SafetensorsDtype;
  /** Row-major shape, outermost first. */
  shape: readonly number[];
  /**
   * The tensor's data as a typed array of exactly its bytes; a Float32Array for an F16, BF16 or
   * F64 tensor is converted. Pass a function to load it only when the writer gets to it.
   */
  data: SafetensorsTensorData | (() => SafetensorsTensorData | Promise<SafetensorsTensorData>);
}

export type SafetensorsWriteTensors =
  | Iterable<SafetensorsWriteTensor>
  | AsyncIterable<SafetensorsWriteTensor>;

export interface SafetensorsWriteOptions {
  /** Written as `__metadata__` (strings only). */
  metadata?: Record<string, string>;
  /** Keep the given order instead of the reference order (largest dtype first, then name). */
  preserveOrder?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { bytesWritten: number; totalBytes: number }) => void;
}

export interface SafetensorsWriteResult {
  byteLength: number;
  /** N: bytes of (padded) JSON header. */
  headerSize: number;
  tensors: SafetensorsTensorInfo[];
}

const CONVERT_CHUNK_VALUES = 1 << 20;
const encoder = new TextEncoder();

interface PlannedTensor extends SafetensorsTensorInfo {
  data: SafetensorsWriteTensor['data'];
}

interface Plan {
  header: Uint8Array;
  tensors: PlannedTensor[];
  byteLength: number;
}

function checkTensor(
  tensor: SafetensorsWriteTensor,
  names: Set<string>,
): { elementCount: number; byteLength: number } {
  const name = tensor?.name;
  const fail = (message: string, value?: unknown): never => {
    throw new InvalidArgumentError({
      argument: `tensors["${String(name)}"]`,
      value,
      message: `Tensor "${String(name)}": ${message}`,
    });
  };
  if (typeof name !== 'string' || name.length === 0)
    fail('the name must be a non-empty string.', name);
  if (name === '__metadata__') fail('"__metadata__" is reserved for the metadata.');
  if (names.has(name)) fail('the name is used twice.');
  names.add(name);
  if (!isSafetensorsDtype(tensor.dtype))
    fail(`unknown dtype ${String(tensor.dtype)}.`, tensor.dtype);
  if (!Array.isArray(tensor.shape)) fail('shape must be an array.', tensor.shape);
  let elementCount = 1;
  for (const size of tensor.shape) {
    if (!Number.isSafeInteger(size) || size < 0)
      fail(`shape [${tensor.shape.join(', ')}] must hold non-negative integers.`, tensor.shape);
    elementCount *= size;
  }
  const byteLength = elementCount * SAFETENSORS_DTYPE_SIZES[tensor.dtype];
  if (byteLength > Number.MAX_SAFE_INTEGER) fail('the tensor is larger than 2^53 bytes.');
  return { elementCount, byteLength };
}

function checkMetadata(
  metadata: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError({
        argument: `metadata["${key}"]`,
        value,
        message: `__metadata__ values must be strings; "${key}" is ${typeof value}. Use JSON.stringify for structured values.`,
      });
    }
  }
  return metadata;
}

async function collect(
  tensors: SafetensorsWriteTensors,
): Promise<{ tensor: SafetensorsWriteTensor; elementCount: number; byteLength: number }[]> {
  const names = new Set<string>();
  const collected = [];
  for await (const tensor of tensors as AsyncIterable<SafetensorsWriteTensor>) {
    collected.push({ tensor, ...checkTensor(tensor, names) });
  }
  return collected;
}

function referenceOrder<T extends { tensor: SafetensorsWriteTensor }>(items: T[]): T[] {
  return [...items].sort(
    (a, b) =>
      referenceDtypeRank(b.tensor.dtype) - referenceDtypeRank(a.tensor.dtype) ||
      (a.tensor.name < b.tensor.name ? -1 : a.tensor.name > b.tensor.name ? 1 : 0),
  );
}

function plan(
  items: { tensor: SafetensorsWriteTensor; elementCount: number; byteLength: number }[],
  metadata: Record<string, string> | undefined,
): Plan {
  const tensors: PlannedTensor[] = [];
  // Null prototype: a tensor named "__proto__" stays an ordinary key.
  const json: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) json.__metadata__ = { ...metadata };
  let offset = 0;
  for (const { tensor, elementCount, byteLength } of items) {
    const dataOffsets: [number, number] = [offset, offset + byteLength];
    tensors.push({
      name: tensor.name,
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      dataOffsets,
      byteLength,
      elementCount,
      data: tensor.data,
    });
    json[tensor.name] = {
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      data_offsets: dataOffsets,
    };
    offset += byteLength;
  }
  let text = JSON.stringify(json);
  text += ' '.repeat((8 - (encoder.encode(text).byteLength % 8)) % 8);
  const body = encoder.encode(text);
  const header = new Uint8Array(8 + body.byteLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(body.byteLength), true);
  header.set(body, 8);
  return { header, tensors, byteLength: header.byteLength + offset };
}

async function writeTensorData(
  tensor: PlannedTensor,
  sink: OpenedSink,
  signal: AbortSignal | undefined,
  progress: (bytes: number) => void,
): Promise<void> {
  const { data, fail } = await loadTensorData(tensor.name, tensor.data);
  if (!ArrayBuffer.isView(data)) return fail('data must be a typed array.');
  if (
    data instanceof Float32Array &&
    (tensor.dtype === 'F16' || tensor.dtype === 'BF16' || tensor.dtype === 'F64')
  ) {
    if (data.length !== tensor.elementCount)
      fail(
        `${data.length} values given; shape [${tensor.shape.join(', ')}] needs ${tensor.elementCount}.`,
      );
    const dtype = tensor.dtype;
    await writeEncodedInChunks(sink, data, (values) => fromFloat32(values, dtype), {
      chunkLength: CONVERT_CHUNK_VALUES,
      signal,
      onChunk: progress,
    });
    return;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength !== tensor.byteLength) {
    fail(
      `${bytes.byteLength} bytes given; ${tensor.dtype} [${tensor.shape.join(', ')}] needs ${tensor.byteLength}.`,
    );
  }
  await writeInChunks(sink, bytes, { signal, onChunk: progress });
}

async function writePlan(
  planned: Plan,
  sink: OpenedSink,
  options: SafetensorsWriteOptions,
): Promise<SafetensorsWriteResult> {
  const progress = progressCounter(planned.byteLength, options.onProgress);
  await writeThenClose(sink, async () => {
    throwIfAborted(options.signal);
    await sink.write(planned.header);
    progress(planned.header.byteLength);
    for (const tensor of planned.tensors)
      await writeTensorData(tensor, sink, options.signal, progress);
  });
  return {
    byteLength: planned.byteLength,
    headerSize: planned.header.byteLength - 8,
    tensors: planned.tensors.map(({ data: _data, ...info }) => info),
  };
}

async function planFrom(
  tensors: SafetensorsWriteTensors,
  options: SafetensorsWriteOptions,
): Promise<Plan> {
  const metadata = checkMetadata(options.metadata);
  const items = await collect(tensors);
  return plan(options.preserveOrder ? items : referenceOrder(items), metadata);
}

/**
 * Writes one safetensors file to a path (Node), a WritableStream or a `{ write(chunk) }` sink.
 * On failure a file is removed.
 */
export async function writeSafetensors(
  sink: ByteSinkInput,
  tensors: SafetensorsWriteTensors,
  options: SafetensorsWriteOptions = {},
): Promise<SafetensorsWriteResult> {
  const planned = await planFrom(tensors, options);
  return writePlan(planned, await openByteSink(sink), options);
}

/** Writes one safetensors file into memory (one allocation of the exact size). */
export async function writeSafetensorsToBuffer(
  tensors: SafetensorsWriteTensors,
  options: SafetensorsWriteOptions = {},
): Promise<Uint8Array> {
  const planned = await planFrom(tensors, options);
  const output = new Uint8Array(planned.byteLength);
  await writePlan(planned, bufferSink(output), options);
  return output;
}

export interface WriteShardedSafetensorsOptions extends SafetensorsWriteOptions {
  /** Largest shard, in bytes of tensor data (default 5 GB, as `save_pretrained`). A larger tensor gets a shard of its own. */
  maxShardSize?: number;
  /** File name stem: `model` gives `model-00001-of-00003.safetensors` and `model.safetensors.index.json`. */
  baseName?: string;
  /** Extra entries for the index's `metadata` (next to `total_size`). */
  indexMetadata?: Record<string, unknown>;
}

export interface ShardedSafetensorsResult {
  /** File names written, shards first, then the index (when there is one). */
  files: string[];
  /** The index written, or `undefined` when everything fit in one file (named `<baseName>.safetensors`). */
  index: { metadata: Record<string, unknown>; weight_map: Record<string, string> } | undefined;
  shards: { fileName: string; result: SafetensorsWriteResult }[];
}

/**
 * Writes a checkpoint in Hugging Face's layout: shards of at most `maxShardSize` bytes named
 * `model-0000i-of-0000n.safetensors` plus `model.safetensors.index.json`, or a single
 * `model.safetensors` when everything fits. `target` is a directory (Node) or a function giving
 * a sink for each file name.
 */
export async function writeShardedSafetensors(
  target: string | ((fileName: string) => ByteSinkInput | Promise<ByteSinkInput>),
  tensors: SafetensorsWriteTensors,
  options: WriteShardedSafetensorsOptions = {},
): Promise<ShardedSafetensorsResult> {
  const maxShardSize = options.maxShardSize ?? 5_000_000_000;
  if (!Number.isSafeInteger(maxShardSize) || maxShardSize <= 0) {
    throw new InvalidArgumentError({
      argument: 'maxShardSize',
      value: maxShardSize,
      message: 'maxShardSize must be a positive integer number of bytes.',
    });
  }
  const baseName = options.baseName ?? 'model';
  const metadata = checkMetadata(options.metadata);
  const items = await collect(tensors);
  const ordered = options.preserveOrder ? items : referenceOrder(items);
  const groups: (typeof items)[] = [];
  let size = 0;
  for (const item of ordered) {
    const current = groups.at(-1);
    if (!current || (current.length > 0 && size + item.byteLength > maxShardSize)) {
      groups.push([item]);
      size = item.byteLength;
    } else {
      current.push(item);
      size += item.byteLength;
    }
  }
  if (groups.length === 0) groups.push([]);
  const count = groups.length;
  const pad = (value: number) => String(value).padStart(5, '0');
  const fileNames =
    count === 1
      ? [`${baseName}.safetensors`]
      : groups.map((_, index) => `${baseName}-${pad(index + 1)}-of-${pad(count)}.safetensors`);

  const sinkFor = async (fileName: string): Promise<ByteSinkInput> => {
    if (typeof target === 'function') return target(fileName);
    const { join } = await import('node:path');
    return join(target, fileName);
  };
  const shards: ShardedSafetensorsResult['shards'] = [];
  let bytesBefore = 0;
  const totalBytes = items.reduce((sum, item) => sum + item.byteLength, 0);
  for (const [position, group] of groups.entries()) {
    const fileName = fileNames[position]!;
    const planned = plan(group, metadata);
    const offset = bytesBefore;
    const result = await writePlan(planned, await openByteSink(await sinkFor(fileName)), {
      ...options,
      onProgress:
        options.onProgress &&
        (({ bytesWritten }) =>
          options.onProgress?.({ bytesWritten: offset + bytesWritten, totalBytes })),
    });
    bytesBefore += result.byteLength;
    shards.push({ fileName, result });
  }
  if (count === 1) return { files: fileNames, index: undefined, shards };

  const weightMap: Record<string, string> = {};
  const entries = groups.flatMap((group, position) =>
    group.map((item) => [item.tensor.name, fileNames[position]!] as const),
  );
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, fileName] of entries) weightMap[name] = fileName;
  const index = {
    metadata: { ...options.indexMetadata, total_size: totalBytes },
    weight_map: weightMap,
  };
  const indexName =
    baseName === 'model' ? SAFETENSORS_INDEX_FILE : `${baseName}.safetensors.index.json`;
  const sink = await openByteSink(await sinkFor(indexName));
  try {
    await sink.write(encoder.encode(`${JSON.stringify(index, null, 2)}\n`));
    await sink.close();
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
  return { files: [...fileNames, indexName], index, shards };
}
