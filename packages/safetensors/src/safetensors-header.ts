/**
 * The safetensors header: an 8-byte little-endian length N, then N bytes of UTF-8 JSON mapping
 * tensor names to `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the data
 * section at 8 + N), plus an optional `__metadata__` object of strings. Validation follows the
 * reference implementation: bounded size, a JSON object, known dtypes, offsets contiguous from
 * 0 with no gaps or overlaps, each range matching dtype x shape, and the data section ending
 * exactly at the end of the file.
 */

import {
  isSafetensorsDtype,
  SAFETENSORS_DTYPE_SIZES,
  type SafetensorsDtype,
} from './safetensors-dtype';
import { safetensorsError } from './safetensors-error';
import { resolveSafetensorsLimits, type SafetensorsLimits } from './safetensors-limits';

/** One tensor as described by the header. */
export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  /** Row-major shape, outermost first (as in PyTorch). */
  shape: number[];
  /** `[begin, end)` relative to the start of the data section. */
  dataOffsets: [number, number];
  byteLength: number;
  elementCount: number;
}

export interface SafetensorsHeader {
  /** `__metadata__` (string to string; a null-prototype object, empty when absent). */
  metadata: Record<string, string>;
  /** Tensors in file order (by data offset). */
  tensors: SafetensorsTensorInfo[];
  /** N: bytes of JSON (including padding). */
  headerSize: number;
  /** Absolute offset of the data section: 8 + N. */
  dataOffset: number;
  /** Total file size, when known. */
  fileSize: number | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads and checks N from the first 8 bytes. */
export function readSafetensorsHeaderSize(
  prefix: Uint8Array,
  fileSize: number | undefined,
  limits: SafetensorsLimits,
): number {
  if (prefix.byteLength < 8) {
    throw safetensorsError(
      'safetensors-truncated',
      `The file has ${prefix.byteLength} bytes; a safetensors file starts with an 8-byte header length.`,
      0,
    );
  }
  const size = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (size > BigInt(limits.maxHeaderSize)) {
    throw safetensorsError(
      'safetensors-header-too-large',
      `The header claims ${size} bytes, above maxHeaderSize (${limits.maxHeaderSize}). The file is corrupt, hostile or not safetensors.`,
      0,
    );
  }
  const headerSize = Number(size);
  if (fileSize !== undefined && 8 + headerSize > fileSize) {
    throw safetensorsError(
      'safetensors-invalid-header-length',
      `The header claims ${headerSize} bytes but the file has only ${fileSize - 8} after the length. The file is truncated or not safetensors.`,
      0,
    );
  }
  return headerSize;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, shallow description of a JSON value for messages (never recursive: hostile JSON nests deep). */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return String(value);
}

function checkedProduct(name: string, factors: readonly number[], what: string): number {
  let product = 1;
  for (const factor of factors) {
    // Exact while below 2^53; once above, the rounded product stays above.
    product *= factor;
  }
  if (product > Number.MAX_SAFE_INTEGER) {
    throw safetensorsError(
      'safetensors-overflow',
      `Tensor "${name}": the ${what} of shape [${factors.join(', ')}] overflows 2^53.`,
    );
  }
  return product;
}

/** Names in messages are clipped: a hostile header can hold a 100 MB name. */
function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function parseTensorInfo(fullName: string, value: unknown): SafetensorsTensorInfo {
  const name = clip(fullName);
  if (!isPlainObject(value)) {
    throw safetensorsError(
      'safetensors-invalid-tensor-info',
      `Tensor "${name}" should be an object with dtype, shape and data_offsets, not ${describeJson(value)}.`,
    );
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') {
    throw safetensorsError(
      'safetensors-invalid-tensor-info',
      `Tensor "${name}" has no string dtype (got ${describeJson(dtype)}).`,
    );
  }
  if (!isSafetensorsDtype(dtype)) {
    throw safetensorsError(
      'safetensors-unknown-dtype',
      `Tensor "${name}" has dtype "${dtype.slice(0, 40)}", which this reader does not know.`,
    );
  }
  if (!Array.isArray(shape)) {
    throw safetensorsError(
      'safetensors-invalid-tensor-info',
      `Tensor "${name}" has no shape array (got ${describeJson(shape)}).`,
    );
  }
  for (const size of shape) {
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw safetensorsError(
        'safetensors-invalid-shape',
        `Tensor "${name}" has shape ${describeJson(shape)}: sizes must be non-negative integers.`,
      );
    }
    if (size > Number.MAX_SAFE_INTEGER) {
      throw safetensorsError(
        'safetensors-overflow',
        `Tensor "${name}" has a dimension above 2^53.`,
      );
    }
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw safetensorsError(
      'safetensors-invalid-tensor-info',
      `Tensor "${name}" needs data_offsets [begin, end] (got ${describeJson(offsets)}).`,
    );
  }
  const [begin, end] = offsets;
  for (const offset of [begin, end]) {
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
      throw safetensorsError(
        'safetensors-invalid-offsets',
        `Tensor "${name}" has data_offsets ${describeJson(offsets)}: offsets must be non-negative integers.`,
      );
    }
    if (offset > Number.MAX_SAFE_INTEGER) {
      throw safetensorsError(
        'safetensors-overflow',
        `Tensor "${name}" has a data offset above 2^53.`,
      );
    }
  }
  const elementCount = checkedProduct(name, shape as number[], 'element count');
  const byteLength = checkedProduct(
    name,
    [elementCount, SAFETENSORS_DTYPE_SIZES[dtype]],
    'byte size',
  );
  return {
    name: fullName,
    dtype,
    shape: [...(shape as number[])],
    dataOffsets: [begin as number, end as number],
    byteLength,
    elementCount,
  };
}

export interface ParseSafetensorsHeaderJsonOptions {
  headerSize: number;
  fileSize: number | undefined;
}

/** Validates the JSON bytes of a header (the N bytes after the length). */
export function parseSafetensorsHeaderJson(
  json: Uint8Array,
  options: ParseSafetensorsHeaderJsonOptions,
): SafetensorsHeader {
  let text: string;
  try {
    text = utf8.decode(json);
  } catch (error) {
    throw safetensorsError(
      'safetensors-invalid-header',
      'The header is not valid UTF-8.',
      8,
      error,
    );
  }
  if (!text.startsWith('{')) {
    throw safetensorsError(
      'safetensors-invalid-header-start',
      `The header should be a JSON object starting with "{", but starts with ${describeJson(text.slice(0, 20))}.`,
      8,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw safetensorsError(
      'safetensors-invalid-json',
      `The header is not valid JSON: ${(error as Error).message.slice(0, 200)}.`,
      8,
      error,
    );
  }
  if (!isPlainObject(parsed)) {
    throw safetensorsError('safetensors-invalid-json', 'The header JSON is not an object.', 8);
  }

  const metadata: Record<string, string> = Object.create(null);
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (value === null) continue;
      if (!isPlainObject(value)) {
        throw safetensorsError(
          'safetensors-invalid-metadata',
          `__metadata__ should be an object of strings, not ${describeJson(value)}.`,
        );
      }
      for (const [key, item] of Object.entries(value)) {
        if (typeof item !== 'string') {
          throw safetensorsError(
            'safetensors-invalid-metadata',
            `__metadata__["${clip(key)}"] should be a string, not ${describeJson(item)}.`,
          );
        }
        metadata[key] = item;
      }
      continue;
    }
    tensors.push(parseTensorInfo(name, value));
  }

  // As the reference: sorted by offsets, the ranges must tile [0, end) exactly.
  tensors.sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let expected = 0;
  for (const tensor of tensors) {
    const [begin, end] = tensor.dataOffsets;
    if (begin !== expected || end < begin) {
      const problem =
        end < begin
          ? 'ends before it begins'
          : begin > expected
            ? `leaves a gap (expected it to begin at ${expected})`
            : `overlaps the previous tensor (which ends at ${expected})`;
      throw safetensorsError(
        'safetensors-invalid-offsets',
        `Tensor "${clip(tensor.name)}" with data_offsets [${begin}, ${end}] ${problem}.`,
        8 + options.headerSize + begin,
      );
    }
    if (end - begin !== tensor.byteLength) {
      throw safetensorsError(
        'safetensors-size-mismatch',
        `Tensor "${clip(tensor.name)}" (${tensor.dtype} [${tensor.shape.join(', ')}]) needs ${tensor.byteLength} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}.`,
        8 + options.headerSize + begin,
      );
    }
    expected = end;
  }
  const dataOffset = 8 + options.headerSize;
  if (options.fileSize !== undefined && dataOffset + expected !== options.fileSize) {
    throw safetensorsError(
      'safetensors-incomplete-buffer',
      `The tensors take ${expected} bytes but the data section has ${options.fileSize - dataOffset}. The file is truncated or corrupt.`,
      dataOffset + Math.min(expected, options.fileSize - dataOffset),
    );
  }
  return {
    metadata,
    tensors,
    headerSize: options.headerSize,
    dataOffset,
    fileSize: options.fileSize,
  };
}

export interface ParseSafetensorsHeaderOptions {
  limits?: Partial<SafetensorsLimits>;
  /** Size of the whole file when `bytes` is only its start. Defaults to `bytes.byteLength`. */
  fileSize?: number;
}

/**
 * Parses and validates a safetensors header from bytes that hold at least the length and the
 * JSON (for example the whole file). Throws a `ParseError` (format `safetensors`).
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  options: ParseSafetensorsHeaderOptions = {},
): SafetensorsHeader {
  const limits = resolveSafetensorsLimits(options.limits);
  const fileSize = options.fileSize ?? bytes.byteLength;
  const headerSize = readSafetensorsHeaderSize(bytes, fileSize, limits);
  if (8 + headerSize > bytes.byteLength) {
    throw safetensorsError(
      'safetensors-truncated',
      `The header needs ${8 + headerSize} bytes; only ${bytes.byteLength} were given.`,
      bytes.byteLength,
    );
  }
  return parseSafetensorsHeaderJson(bytes.subarray(8, 8 + headerSize), { headerSize, fileSize });
}
