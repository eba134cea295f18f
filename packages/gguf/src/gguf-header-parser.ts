/**
 * Synchronous GGUF header parser over a window of bytes from the start of a file. Every count
 * and length is checked against a limit and against the bytes that can exist before anything is
 * allocated for it. When the window ends before the header does (and the file goes on), the
 * parser throws `NeedMoreBytes` so that the async reader can fetch a larger window and parse
 * again; parsing a window twice is cheaper than making every read asynchronous.
 */

import { type GgmlType, ggmlTypeInfo, ggmlTypeName } from './ggml-type';
import { ggufError } from './gguf-error';
import { type GgufLimits, resolveGgufLimits } from './gguf-limits';
import {
  type GgufHeader,
  type GgufScalar,
  type GgufScalarType,
  type GgufTensorInfo,
  type GgufTypedValue,
  type GgufValue,
  GgufValueType,
  ggufValueTypeName,
} from './gguf-types';

/** `GGUF` as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Thrown (internally) when the window ends before the header does; `end` is the byte needed. */
export class NeedMoreBytes extends Error {
  constructor(readonly end: number) {
    super(`need bytes up to ${end}`);
    this.name = 'NeedMoreBytes';
  }
}

/** Bytes each scalar value type takes; strings and arrays are variable. */
const scalarSizes: Partial<Record<number, number>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/** Smallest encodings, for early "the file cannot hold this many" checks. */
const MIN_STRING_BYTES = 8;
const MIN_ARRAY_BYTES = 4 + 8;
const MIN_METADATA_ENTRY_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const MAX_U64_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export interface ParseGgufHeaderWindowOptions {
  /** Total file size, when known: lets hostile lengths fail at once. */
  fileSize: number | undefined;
  /** True when `bytes` holds everything there is (no point asking for more). */
  complete: boolean;
  limits: GgufLimits;
}

class HeaderCursor {
  offset = 0;
  totalArrayElements = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: ParseGgufHeaderWindowOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get limits(): GgufLimits {
    return this.options.limits;
  }

  /** Makes sure `length` more bytes are in the window, or says why they cannot be. */
  require(length: number, what: string): void {
    const end = this.offset + length;
    if (end <= this.bytes.byteLength) return;
    const { fileSize, complete } = this.options;
    if ((fileSize !== undefined && end > fileSize) || complete) {
      const available = fileSize ?? this.bytes.byteLength;
      throw ggufError(
        'gguf-truncated',
        `The file is truncated: ${what} at byte ${this.offset} needs ${length} bytes, but the file ends at byte ${available}. Download it again.`,
        this.offset,
      );
    }
    throw new NeedMoreBytes(end);
  }

  /** Whether `length` more bytes can exist in the file at all (cheap early check). */
  fits(length: number): boolean {
    const { fileSize, complete } = this.options;
    const limit = fileSize ?? (complete ? this.bytes.byteLength : Number.POSITIVE_INFINITY);
    return this.offset + length <= limit;
  }

  u8(): number {
    this.require(1, 'a u8');
    return this.view.getUint8(this.offset++);
  }
  u32(what: string): number {
    this.require(4, what);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }
  u64(what: string): bigint {
    this.require(8, what);
    const value = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return value;
  }

  /** A u64 count or length, refused above `limit` before it is used for anything. */
  count(limit: number, what: string, limitName: string): number {
    this.require(8, what);
    const start = this.offset;
    // Two u32 halves: no BigInt per string, which matters for vocabularies of 100k+ tokens.
    const low = this.view.getUint32(start, true);
    const high = this.view.getUint32(start + 4, true);
    this.offset += 8;
    const value = high * 0x100000000 + low;
    if (value > limit) {
      const exact = (BigInt(high) << 32n) | BigInt(low);
      throw ggufError(
        'gguf-limit-exceeded',
        `${capitalize(what)} at byte ${start} is ${exact}, above ${limitName} (${limit}). The file is corrupt or hostile; raise the limit only if you trust it.`,
        start,
      );
    }
    return value;
  }

  string(what: string): string {
    const length = this.count(
      this.limits.maxStringLength,
      `the length of ${what}`,
      'maxStringLength',
    );
    this.require(length, what);
    const start = this.offset;
    this.offset += length;
    return decodeUtf8(this.bytes, start, length);
  }

  scalar(type: GgufScalarType, what: string): GgufScalar {
    const view = this.view;
    const size = scalarSizes[type];
    if (size !== undefined) this.require(size, what);
    const at = this.offset;
    switch (type) {
      case GgufValueType.UINT8:
        this.offset += 1;
        return view.getUint8(at);
      case GgufValueType.INT8:
        this.offset += 1;
        return view.getInt8(at);
      case GgufValueType.UINT16:
        this.offset += 2;
        return view.getUint16(at, true);
      case GgufValueType.INT16:
        this.offset += 2;
        return view.getInt16(at, true);
      case GgufValueType.UINT32:
        this.offset += 4;
        return view.getUint32(at, true);
      case GgufValueType.INT32:
        this.offset += 4;
        return view.getInt32(at, true);
      case GgufValueType.FLOAT32:
        this.offset += 4;
        return view.getFloat32(at, true);
      case GgufValueType.BOOL:
        this.offset += 1;
        return view.getUint8(at) !== 0;
      case GgufValueType.UINT64:
        this.offset += 8;
        return view.getBigUint64(at, true);
      case GgufValueType.INT64:
        this.offset += 8;
        return view.getBigInt64(at, true);
      case GgufValueType.FLOAT64:
        this.offset += 8;
        return view.getFloat64(at, true);
      case GgufValueType.STRING:
        return this.string(what);
    }
  }

  valueType(what: string): GgufValueType {
    const start = this.offset;
    const type = this.u32(`the type of ${what}`);
    if (type > GgufValueType.FLOAT64) {
      throw ggufError(
        'gguf-invalid-type',
        `Unknown metadata value type ${type} for ${what} at byte ${start} (known: 0-12). The file is corrupt or from a newer GGUF version.`,
        start,
      );
    }
    return type as GgufValueType;
  }

  value(type: GgufValueType, what: string, depth: number): GgufTypedValue {
    if (type !== GgufValueType.ARRAY) return { type, value: this.scalar(type, what) };
    if (depth >= this.limits.maxArrayRecursionDepth) {
      throw ggufError(
        'gguf-limit-exceeded',
        `${capitalize(what)} nests arrays deeper than maxArrayRecursionDepth (${this.limits.maxArrayRecursionDepth}).`,
        this.offset,
      );
    }
    const itemType = this.valueType(`the items of ${what}`);
    const budget = this.limits.maxTotalArrayElements - this.totalArrayElements;
    const start = this.offset;
    const count = this.u64(`the length of ${what}`);
    if (count > BigInt(budget)) {
      throw ggufError(
        'gguf-limit-exceeded',
        `${capitalize(what)} at byte ${start} has ${count} elements; with the arrays before it that is above maxTotalArrayElements (${this.limits.maxTotalArrayElements}).`,
        start,
      );
    }
    const length = Number(count);
    this.totalArrayElements += length;
    const itemSize = scalarSizes[itemType];
    const minimumItemBytes =
      itemSize ?? (itemType === GgufValueType.STRING ? MIN_STRING_BYTES : MIN_ARRAY_BYTES);
    if (!this.fits(length * minimumItemBytes)) {
      this.require(length * minimumItemBytes, `the ${length} elements of ${what}`);
    }
    if (itemSize !== undefined)
      this.require(length * itemSize, `the ${length} elements of ${what}`);
    if (itemType === GgufValueType.ARRAY) {
      const items: GgufTypedValue[] = [];
      for (let index = 0; index < length; index++) {
        items.push(this.value(GgufValueType.ARRAY, `${what}[${index}]`, depth + 1));
      }
      return { type: GgufValueType.ARRAY, itemType, value: items };
    }
    const items: GgufScalar[] = [];
    for (let index = 0; index < length; index++) items.push(this.scalar(itemType, what));
    return { type: GgufValueType.ARRAY, itemType, value: items };
  }
}

/** Keys and names in messages are clipped: a hostile file can hold a 64 MB name. */
function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * UTF-8 decoding with a fast path for short ASCII strings. (A hand-written decoder for short
 * non-ASCII strings measured no faster than TextDecoder, so those go to TextDecoder.)
 */
function decodeUtf8(bytes: Uint8Array, start: number, length: number): string {
  if (length <= 64) {
    let ascii = true;
    for (let index = start; index < start + length; index++) {
      if (bytes[index]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return String.fromCharCode.apply(
        null,
        bytes.subarray(start, start + length) as unknown as number[],
      );
    }
  }
  return utf8.decode(bytes.subarray(start, start + length));
}

/** Plain JavaScript form of a typed value (arrays of scalars are shared, not copied). */
export function plainValue(typed: GgufTypedValue): GgufValue {
  if (typed.type !== GgufValueType.ARRAY) return typed.value;
  if (typed.itemType !== GgufValueType.ARRAY) return typed.value;
  return (typed.value as GgufTypedValue[]).map(plainValue);
}

function readAlignment(typed: GgufTypedValue | undefined, limits: GgufLimits): number {
  if (typed === undefined) return GGUF_DEFAULT_ALIGNMENT;
  const value = typed.value;
  const integer =
    typeof value === 'bigint'
      ? value <= MAX_U64_SAFE && value >= 0n
        ? Number(value)
        : -1
      : typeof value === 'number' &&
          typed.type !== GgufValueType.FLOAT32 &&
          typed.type !== GgufValueType.FLOAT64
        ? value
        : -1;
  if (!(integer >= 1 && integer <= limits.maxAlignment && (integer & (integer - 1)) === 0)) {
    throw ggufError(
      'gguf-invalid-alignment',
      `general.alignment is ${String(Array.isArray(value) ? '[array]' : value)} (${ggufValueTypeName(typed.type)}); it must be an unsigned integer power of two no larger than ${limits.maxAlignment}.`,
    );
  }
  return integer;
}

/**
 * Parses a header window. Throws `NeedMoreBytes` when the window is too short but the file may
 * go on; every other failure is a `ParseError` with format `gguf`.
 */
export function parseGgufHeaderWindow(
  bytes: Uint8Array,
  options: ParseGgufHeaderWindowOptions,
): GgufHeader {
  const cursor = new HeaderCursor(bytes, options);
  const { limits } = options;

  // Magic: a short file that starts like GGUF is truncated; anything else is not GGUF.
  const magicBytes = [0x47, 0x47, 0x55, 0x46];
  for (let index = 0; index < 4 && index < bytes.byteLength; index++) {
    if (bytes[index] !== magicBytes[index]) {
      throw ggufError(
        'gguf-invalid-magic',
        'Not a GGUF file: it does not start with the bytes "GGUF". Check the path or URL.',
        0,
      );
    }
  }
  if (cursor.u32('the magic') !== GGUF_MAGIC) {
    throw ggufError('gguf-invalid-magic', 'Not a GGUF file: it does not start with "GGUF".', 0);
  }
  const version = cursor.u32('the version');
  if (version !== 2 && version !== 3) {
    const bigEndian = (version & 0xffff) === 0 && version !== 0;
    const reason = bigEndian
      ? 'it is a big-endian GGUF file, which this reader does not support; convert it to little-endian'
      : version === 1
        ? 'GGUF v1 (32-bit counts) is not supported; convert it with a current llama.cpp'
        : 'only versions 2 and 3 are supported';
    throw ggufError(
      'gguf-unsupported-version',
      `Unsupported GGUF version ${version}: ${reason}.`,
      4,
    );
  }
  const tensorCount = cursor.count(limits.maxTensorCount, 'the tensor count', 'maxTensorCount');
  const metadataCount = cursor.count(
    limits.maxMetadataCount,
    'the metadata count',
    'maxMetadataCount',
  );
  const minimumBytes =
    tensorCount * MIN_TENSOR_INFO_BYTES + metadataCount * MIN_METADATA_ENTRY_BYTES;
  if (!cursor.fits(minimumBytes)) {
    cursor.require(
      minimumBytes,
      `${metadataCount} metadata entries and ${tensorCount} tensor infos`,
    );
  }

  const metadata: Record<string, GgufValue> = Object.create(null);
  const typedMetadata: Record<string, GgufTypedValue> = Object.create(null);
  for (let index = 0; index < metadataCount; index++) {
    const keyOffset = cursor.offset;
    const key = cursor.string(`metadata key #${index}`);
    if (Object.hasOwn(typedMetadata, key)) {
      throw ggufError(
        'gguf-duplicate-key',
        `Metadata key "${clip(key)}" appears twice (second at byte ${keyOffset}).`,
        keyOffset,
      );
    }
    const what = `metadata "${clip(key)}"`;
    const typed = cursor.value(cursor.valueType(what), what, 0);
    typedMetadata[key] = typed;
    metadata[key] = plainValue(typed);
  }
  const alignment = readAlignment(typedMetadata['general.alignment'], limits);

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let index = 0; index < tensorCount; index++) {
    const infoOffset = cursor.offset;
    const fullName = cursor.string(`the name of tensor #${index}`);
    const name = clip(fullName);
    if (names.has(fullName)) {
      throw ggufError(
        'gguf-duplicate-tensor',
        `Tensor "${name}" appears twice (second at byte ${infoOffset}).`,
        infoOffset,
      );
    }
    names.add(fullName);
    const dimsOffset = cursor.offset;
    const dimCount = cursor.u32(`the dimension count of "${name}"`);
    if (dimCount > limits.maxDims) {
      throw ggufError(
        'gguf-limit-exceeded',
        `Tensor "${name}" has ${dimCount} dimensions; at most ${limits.maxDims} (maxDims) are allowed.`,
        dimsOffset,
      );
    }
    const dims: number[] = [];
    let elementCount = 1;
    for (let dimension = 0; dimension < dimCount; dimension++) {
      const size = cursor.u64(`dimension ${dimension} of "${name}"`);
      if (size > MAX_U64_SAFE) {
        throw ggufError(
          'gguf-limit-exceeded',
          `Dimension ${dimension} of tensor "${name}" is ${size}, above 2^53.`,
          dimsOffset,
        );
      }
      dims.push(Number(size));
      // Exact while below 2^53; once above, the rounded product stays above, so the check holds.
      elementCount *= Number(size);
    }
    if (elementCount > Number.MAX_SAFE_INTEGER) {
      throw ggufError(
        'gguf-limit-exceeded',
        `Tensor "${name}" has dims [${dims.join(', ')}]: the element count overflows 2^53.`,
        dimsOffset,
      );
    }
    const typeOffset = cursor.offset;
    const type = cursor.u32(`the type of "${name}"`);
    const typeInfo = ggmlTypeInfo(type);
    if (!typeInfo) {
      throw ggufError(
        'gguf-invalid-type',
        `Tensor "${name}" has unknown ggml type ${type}. The file is corrupt or needs a newer reader.`,
        typeOffset,
      );
    }
    const innermost = dims[0] ?? 1;
    if (innermost % typeInfo.blockSize !== 0) {
      throw ggufError(
        'gguf-invalid-shape',
        `Tensor "${name}" (${typeInfo.name}) has first dimension ${innermost}, not a multiple of the block size ${typeInfo.blockSize}.`,
        dimsOffset,
      );
    }
    const byteLength = (elementCount / typeInfo.blockSize) * typeInfo.typeSize;
    if (byteLength > Number.MAX_SAFE_INTEGER) {
      throw ggufError(
        'gguf-limit-exceeded',
        `Tensor "${name}" would take more than 2^53 bytes.`,
        dimsOffset,
      );
    }
    const offsetAt = cursor.offset;
    const offset = cursor.u64(`the data offset of "${name}"`);
    if (offset > MAX_U64_SAFE || Number(offset) + byteLength > Number.MAX_SAFE_INTEGER) {
      throw ggufError(
        'gguf-out-of-bounds',
        `Tensor "${name}" has data offset ${offset}, beyond any file.`,
        offsetAt,
      );
    }
    if (Number(offset) % alignment !== 0) {
      throw ggufError(
        'gguf-invalid-alignment',
        `Tensor "${name}" has data offset ${offset}, not a multiple of the alignment ${alignment}.`,
        offsetAt,
      );
    }
    tensors.push({
      name: fullName,
      dims,
      type: type as GgmlType,
      offset: Number(offset),
      byteLength,
      elementCount,
    });
  }

  const headerSize = cursor.offset;
  const dataOffset = Math.ceil(headerSize / alignment) * alignment;
  checkTensorRanges(tensors, dataOffset, options.fileSize);
  return {
    version,
    metadata,
    typedMetadata,
    tensors,
    alignment,
    headerSize,
    dataOffset,
    fileSize: options.fileSize,
  };
}

/** Every tensor inside the file (when its size is known) and no two overlapping. */
function checkTensorRanges(
  tensors: GgufTensorInfo[],
  dataOffset: number,
  fileSize: number | undefined,
): void {
  if (fileSize !== undefined) {
    for (const tensor of tensors) {
      const end = dataOffset + tensor.offset + tensor.byteLength;
      if (end > fileSize) {
        throw ggufError(
          'gguf-out-of-bounds',
          `Tensor "${clip(tensor.name)}" (${ggmlTypeName(tensor.type)}, ${tensor.byteLength} bytes at data offset ${tensor.offset}) ends at byte ${end}, past the end of the file (${fileSize} bytes). The file is truncated or corrupt.`,
          dataOffset + tensor.offset,
        );
      }
    }
  }
  const sorted = tensors
    .filter((tensor) => tensor.byteLength > 0)
    .sort((a, b) => a.offset - b.offset);
  for (let index = 1; index < sorted.length; index++) {
    const previous = sorted[index - 1]!;
    const current = sorted[index]!;
    if (current.offset < previous.offset + previous.byteLength) {
      throw ggufError(
        'gguf-overlapping-tensors',
        `Tensors "${clip(previous.name)}" and "${clip(current.name)}" overlap in the data section (offsets ${previous.offset} and ${current.offset}).`,
        dataOffset + current.offset,
      );
    }
  }
}

export interface ParseGgufHeaderOptions {
  limits?: Partial<GgufLimits>;
  /**
   * Size of the whole file when `bytes` is only its start (then tensor bounds are checked
   * against it). Defaults to `bytes.byteLength`.
   */
  fileSize?: number;
}

/**
 * Parses a GGUF header from bytes that hold at least the whole header (for example the whole
 * file). Throws a `ParseError` (format `gguf`) for anything malformed, including a header that
 * runs past the end of `bytes` (`gguf-truncated`).
 */
export function parseGgufHeader(
  bytes: Uint8Array,
  options: ParseGgufHeaderOptions = {},
): GgufHeader {
  const fileSize = options.fileSize ?? bytes.byteLength;
  try {
    return parseGgufHeaderWindow(bytes, {
      fileSize,
      complete: true,
      limits: resolveGgufLimits(options.limits),
    });
  } catch (error) {
    if (error instanceof NeedMoreBytes) {
      throw ggufError(
        'gguf-truncated',
        `The GGUF header runs past the ${bytes.byteLength} bytes given (it needs at least ${error.end}).`,
        bytes.byteLength,
      );
    }
    throw error;
  }
}
