/**
 * Reading GGUF files from any source: the header through a window that grows until the header
 * fits (a few MB for a large vocabulary, never the whole file), then tensors one byte range at
 * a time.
 */

import {
  type ByteSource,
  type ByteSourceInput,
  type ByteSourceOptions,
  openByteSourceWith,
  withByteSource,
} from '@llmr/binary-io';
import { InvalidArgumentError, UnsupportedFunctionalityError } from '@llmr/core';
import { canDequantize, dequantize } from './dequantize';
import { ggmlTypeName } from './ggml-type';
import { ggufError } from './gguf-error';
import { NeedMoreBytes, parseGgufHeaderWindow } from './gguf-header-parser';
import { type GgufLimits, resolveGgufLimits } from './gguf-limits';
import type { GgufHeader, GgufTensorInfo } from './gguf-types';

export interface ReadGgufOptions extends ByteSourceOptions {
  /** Override limits on counts and lengths (see `GgufLimits`). */
  limits?: Partial<GgufLimits>;
  /**
   * Bytes read first; when the header is longer the window grows (4x at a time) until it
   * fits. Default 1 MiB over HTTP (one request for most models, two or three for large
   * vocabularies) and 8 MiB for files and Blobs.
   */
  initialReadSize?: number;
}

/** An open GGUF file: its header plus lazy access to tensor data. */
export interface GgufFile extends GgufHeader {
  /** The source the file is read from. */
  readonly source: ByteSource;
  /** The tensor named `name`, if any. */
  getTensor(name: string): GgufTensorInfo | undefined;
  /** Reads one tensor's raw bytes (only its byte range is read). */
  readTensorBytes(tensor: string | GgufTensorInfo): Promise<Uint8Array>;
  /** Reads one tensor and dequantizes it to float32 (see `canDequantize` for the types). */
  readTensorFloat32(tensor: string | GgufTensorInfo): Promise<Float32Array>;
  /** Releases the source (closes the file handle). */
  close(): Promise<void>;
}

const DEFAULT_INITIAL_READ_SIZE = 1024 * 1024;
const DEFAULT_LOCAL_READ_SIZE = 8 * 1024 * 1024;

/** Parses the header of an already open source, reading as little as it can. */
export async function readGgufHeaderFrom(
  source: ByteSource,
  options: ReadGgufOptions = {},
): Promise<GgufHeader> {
  const limits = resolveGgufLimits(options.limits);
  // Bytes in memory cost nothing to "read"; local files little; HTTP requests are what to save.
  const requested =
    source.inMemory && source.size !== undefined
      ? source.size
      : (options.initialReadSize ??
        (/^https?:/i.test(source.name) ? DEFAULT_INITIAL_READ_SIZE : DEFAULT_LOCAL_READ_SIZE));
  const initial = Math.max(16, Math.min(requested, limits.maxHeaderSize));
  let window = await source.read(0, initial);
  let complete = window.byteLength < initial;
  for (;;) {
    const size = source.size;
    if (size !== undefined && window.byteLength >= size) complete = true;
    try {
      return parseGgufHeaderWindow(window, { fileSize: size, complete, limits });
    } catch (error) {
      if (!(error instanceof NeedMoreBytes)) throw error;
      if (error.end > limits.maxHeaderSize) {
        throw ggufError(
          'gguf-limit-exceeded',
          `The GGUF header is longer than maxHeaderSize (${limits.maxHeaderSize} bytes). The file is corrupt or hostile; raise the limit only if you trust it.`,
          window.byteLength,
        );
      }
      // Growing 4x keeps the number of re-parses of a multi-MB vocabulary to two or three.
      let target = Math.min(Math.max(window.byteLength * 4, error.end), limits.maxHeaderSize);
      if (size !== undefined) target = Math.min(target, size);
      const wanted = target - window.byteLength;
      const more = await source.read(window.byteLength, wanted);
      if (more.byteLength < wanted) complete = true;
      const grown = new Uint8Array(window.byteLength + more.byteLength);
      grown.set(window);
      grown.set(more, window.byteLength);
      window = grown;
    }
  }
}

/** Reads only the header of a GGUF file (path, URL, Blob or bytes) and closes the source. */
export async function readGgufHeader(
  input: ByteSourceInput | ByteSource,
  options: ReadGgufOptions = {},
): Promise<GgufHeader> {
  return withByteSource(input, options, (source) => readGgufHeaderFrom(source, options));
}

/**
 * Opens a GGUF file for reading: parses the header, then reads tensors on demand. Close the file
 * when done. A `ByteSource` passed in is closed by `close()` too.
 */
export async function openGguf(
  input: ByteSourceInput | ByteSource,
  options: ReadGgufOptions = {},
): Promise<GgufFile> {
  const { source, value: header } = await openByteSourceWith(input, options, (opened) =>
    readGgufHeaderFrom(opened, options),
  );
  const byName = new Map(header.tensors.map((tensor) => [tensor.name, tensor]));

  const resolve = (tensor: string | GgufTensorInfo): GgufTensorInfo => {
    const info = typeof tensor === 'string' ? byName.get(tensor) : tensor;
    if (!info) {
      throw new InvalidArgumentError({
        argument: 'tensor',
        value: tensor,
        message: `No tensor named "${String(tensor)}" in this GGUF file (it has ${header.tensors.length} tensors).`,
      });
    }
    return info;
  };

  const readTensorBytes = async (tensor: string | GgufTensorInfo): Promise<Uint8Array> => {
    const info = resolve(tensor);
    const start = header.dataOffset + info.offset;
    const bytes = await source.read(start, info.byteLength);
    if (bytes.byteLength < info.byteLength) {
      throw ggufError(
        'gguf-truncated',
        `Tensor "${info.name}" needs ${info.byteLength} bytes at byte ${start}, but only ${bytes.byteLength} could be read: the file is truncated.`,
        start + bytes.byteLength,
      );
    }
    return bytes;
  };

  return {
    ...header,
    source,
    getTensor: (name) => byName.get(name),
    readTensorBytes,
    async readTensorFloat32(tensor) {
      const info = resolve(tensor);
      if (!canDequantize(info.type)) {
        throw new UnsupportedFunctionalityError({
          functionality: `dequantize-${ggmlTypeName(info.type)}`,
          message: `Tensor "${info.name}" is ${ggmlTypeName(info.type)}, which this package cannot dequantize yet; read its raw bytes with readTensorBytes().`,
        });
      }
      return dequantize(await readTensorBytes(info), info.type, info.elementCount);
    },
    close: () => source.close(),
  };
}
