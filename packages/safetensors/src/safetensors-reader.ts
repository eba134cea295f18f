/**
 * Opening one safetensors file from any source: the header in one or two reads, then each
 * tensor by its own byte range, so a 10 GB file costs a few KB until a tensor is asked for.
 */

import {
  type ByteSource,
  type ByteSourceInput,
  type ByteSourceOptions,
  openByteSourceWith,
  withByteSource,
} from '@llmr/binary-io';
import { InvalidArgumentError } from '@llmr/core';
import {
  type SafetensorsDtype,
  type SafetensorsTypedArray,
  toFloat32,
  toTypedArray,
} from './safetensors-dtype';
import { safetensorsError } from './safetensors-error';
import {
  parseSafetensorsHeaderJson,
  readSafetensorsHeaderSize,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from './safetensors-header';
import { resolveSafetensorsLimits, type SafetensorsLimits } from './safetensors-limits';

export interface ReadSafetensorsOptions extends ByteSourceOptions {
  limits?: Partial<SafetensorsLimits>;
  /** First read, meant to catch the whole header in one request (default 256 KiB). */
  initialReadSize?: number;
}

/** A tensor read whole: its info and its data as the dtype's typed array. */
export interface SafetensorsTensor extends SafetensorsTensorInfo {
  data: SafetensorsTypedArray;
}

/**
 * Lazy access to named tensors: what a single file and a sharded checkpoint both offer (and the
 * tensor-source shape converters use: `names`, `shape`, `dtype`, `readFloat32`, `close`).
 */
export interface SafetensorsTensorReader {
  /** Tensor names, in file order (shard by shard for checkpoints). */
  readonly names: readonly string[];
  /** All tensor infos, in the same order. */
  tensors: SafetensorsTensorInfo[];
  /** `__metadata__` (of the first shard, for checkpoints). */
  metadata: Record<string, string>;
  has(name: string): boolean;
  /** The tensor's info, or `undefined`. */
  getTensor(name: string): SafetensorsTensorInfo | undefined;
  /** The tensor's shape; throws for unknown names. */
  shape(name: string): number[];
  /** The tensor's dtype; throws for unknown names. */
  dtype(name: string): SafetensorsDtype;
  /** Reads only the tensor's bytes. */
  readTensorBytes(name: string): Promise<Uint8Array>;
  /** Reads the tensor into its dtype's typed array (F16/BF16 as raw Uint16Array bits). */
  readTensor(name: string): Promise<SafetensorsTensor>;
  /** Reads the tensor converted to float32 (F16, BF16, FP8, integers, bool). */
  readTensorFloat32(name: string): Promise<Float32Array>;
  /** Same as `readTensorFloat32`. */
  readFloat32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

/** An open safetensors file. */
export interface SafetensorsFile extends SafetensorsTensorReader, SafetensorsHeader {
  readonly source: ByteSource;
}

const DEFAULT_INITIAL_READ_SIZE = 256 * 1024;

/** Reads and validates the header of an open source. */
export async function readSafetensorsHeaderFrom(
  source: ByteSource,
  options: ReadSafetensorsOptions = {},
): Promise<SafetensorsHeader> {
  const limits = resolveSafetensorsLimits(options.limits);
  const first = Math.max(8, options.initialReadSize ?? DEFAULT_INITIAL_READ_SIZE);
  const prefix = await source.read(
    0,
    source.inMemory && source.size !== undefined ? source.size : first,
  );
  const headerSize = readSafetensorsHeaderSize(prefix, source.size, limits);
  let json: Uint8Array;
  if (prefix.byteLength >= 8 + headerSize) {
    json = prefix.subarray(8, 8 + headerSize);
  } else {
    const rest = await source.read(prefix.byteLength, 8 + headerSize - prefix.byteLength);
    if (prefix.byteLength + rest.byteLength < 8 + headerSize) {
      // Only sources that learn their size late (HTTP without a total) get here.
      throw safetensorsError(
        'safetensors-invalid-header-length',
        `The header claims ${headerSize} bytes but the file ends at byte ${prefix.byteLength + rest.byteLength}.`,
        0,
      );
    }
    json = new Uint8Array(headerSize);
    json.set(prefix.subarray(8));
    json.set(rest, prefix.byteLength - 8);
  }
  return parseSafetensorsHeaderJson(json, { headerSize, fileSize: source.size });
}

/** Builds the lazy reader over a parsed header (shared by files and checkpoints). */
export function createTensorReader(
  tensors: SafetensorsTensorInfo[],
  metadata: Record<string, string>,
  read: (tensor: SafetensorsTensorInfo) => Promise<Uint8Array>,
  close: () => Promise<void>,
  /** Whether `read` returns fresh buffers (file, Blob, HTTP): F32 data then needs no copy. */
  freshBytes = false,
): SafetensorsTensorReader {
  const byName = new Map(tensors.map((tensor) => [tensor.name, tensor]));
  const resolve = (name: string): SafetensorsTensorInfo => {
    const tensor = byName.get(name);
    if (!tensor) {
      throw new InvalidArgumentError({
        argument: 'name',
        value: name,
        message: `No tensor named "${name}" (there are ${byName.size}; see .names).`,
      });
    }
    return tensor;
  };
  const readTensorBytes = async (name: string) => read(resolve(name));
  const readTensorFloat32 = async (name: string) => {
    const tensor = resolve(name);
    const bytes = await read(tensor);
    if (freshBytes && tensor.dtype === 'F32') return toTypedArray('F32', bytes) as Float32Array;
    return toFloat32(tensor.dtype, bytes);
  };
  return {
    names: tensors.map((tensor) => tensor.name),
    tensors,
    metadata,
    has: (name) => byName.has(name),
    getTensor: (name) => byName.get(name),
    shape: (name) => [...resolve(name).shape],
    dtype: (name) => resolve(name).dtype,
    readTensorBytes,
    async readTensor(name) {
      const tensor = resolve(name);
      return { ...tensor, data: toTypedArray(tensor.dtype, await read(tensor)) };
    },
    readTensorFloat32,
    readFloat32: readTensorFloat32,
    close,
  };
}

/**
 * Opens one safetensors file (path, `file:`/`http(s):` URL, Blob, bytes or a ByteSource): reads
 * and validates the header, then reads tensors on demand. Close it when done.
 */
export async function openSafetensors(
  input: ByteSourceInput | ByteSource,
  options: ReadSafetensorsOptions = {},
): Promise<SafetensorsFile> {
  const { source, value: header } = await openByteSourceWith(input, options, (opened) =>
    readSafetensorsHeaderFrom(opened, options),
  );
  const read = async (tensor: SafetensorsTensorInfo): Promise<Uint8Array> => {
    const start = header.dataOffset + tensor.dataOffsets[0];
    const bytes = await source.read(start, tensor.byteLength);
    if (bytes.byteLength < tensor.byteLength) {
      throw safetensorsError(
        'safetensors-truncated',
        `Tensor "${tensor.name}" needs ${tensor.byteLength} bytes at byte ${start}; only ${bytes.byteLength} could be read. The file is truncated.`,
        start + bytes.byteLength,
      );
    }
    return bytes;
  };
  return {
    ...header,
    ...createTensorReader(
      header.tensors,
      header.metadata,
      read,
      () => source.close(),
      !source.inMemory,
    ),
    source,
  };
}

/** Reads only the header of a safetensors file, then closes the source. */
export async function readSafetensorsHeader(
  input: ByteSourceInput | ByteSource,
  options: ReadSafetensorsOptions = {},
): Promise<SafetensorsHeader> {
  return withByteSource(input, options, (source) => readSafetensorsHeaderFrom(source, options));
}
