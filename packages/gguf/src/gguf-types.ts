/**
 * The shapes of a parsed GGUF file: metadata value types, metadata values (plain and typed),
 * tensor infos and the header.
 */
import type { GgmlType } from './ggml-type';

/** `gguf_type`: the type tag of a metadata value. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];
export type GgufScalarType = Exclude<GgufValueType, typeof GgufValueType.ARRAY>;

const valueTypeNames = Object.fromEntries(
  Object.entries(GgufValueType).map(([name, value]) => [value, name.toLowerCase()]),
) as Record<GgufValueType, string>;

/** `uint32`, `array`, ... for messages. */
export function ggufValueTypeName(type: number): string {
  return valueTypeNames[type as GgufValueType] ?? `type ${type}`;
}

/**
 * A scalar metadata value. 64-bit integers (`UINT64`, `INT64`) are always `bigint`, so values
 * above 2^53 survive; the typed accessors convert the sensible ones to numbers.
 */
export type GgufScalar = number | bigint | boolean | string;
/** A metadata value as plain JavaScript: scalars and (nested) arrays. */
export type GgufValue = GgufScalar | GgufValue[];

/**
 * A metadata value with its GGUF type, enough to write it back unchanged. Arrays of scalars carry
 * their item type; arrays of arrays carry one typed value per inner array (GGUF lets each inner
 * array have its own item type).
 */
export type GgufTypedValue =
  | { type: GgufScalarType; value: GgufScalar }
  | { type: typeof GgufValueType.ARRAY; itemType: GgufScalarType; value: GgufScalar[] }
  | {
      type: typeof GgufValueType.ARRAY;
      itemType: typeof GgufValueType.ARRAY;
      value: GgufTypedValue[];
    };

/** One tensor as described by the header. */
export interface GgufTensorInfo {
  name: string;
  /**
   * Dimensions in ggml order: `dims[0]` is the innermost (contiguous) one, so a PyTorch weight of
   * shape `[rows, columns]` has `dims` `[columns, rows]`.
   */
  dims: number[];
  type: GgmlType;
  /** Offset of the tensor's data, relative to the start of the data section (`dataOffset`). */
  offset: number;
  /** Bytes of data (without alignment padding). */
  byteLength: number;
  /** Product of `dims`. */
  elementCount: number;
}

/** Everything before the tensor data. */
export interface GgufHeader {
  /** GGUF version: 2 or 3 (identical layouts; v3 allows big-endian files, which are refused). */
  version: 2 | 3;
  /** Metadata as plain values, keyed in file order. A null-prototype object. */
  metadata: Record<string, GgufValue>;
  /** The same metadata with GGUF types, for writing back. Values are the same objects. */
  typedMetadata: Record<string, GgufTypedValue>;
  /** Tensor infos in file order. */
  tensors: GgufTensorInfo[];
  /** `general.alignment`, or 32. */
  alignment: number;
  /** Bytes from the start of the file to the end of the tensor infos. */
  headerSize: number;
  /** Absolute file offset of the data section (the header size rounded up to `alignment`). */
  dataOffset: number;
  /** Total file size, when the source knows it. */
  fileSize: number | undefined;
}
