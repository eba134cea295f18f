/**
 * safetensors dtypes: their sizes, the typed arrays that hold them, and conversions to float32.
 * Data is little-endian, as the format requires (and every JavaScript engine in use is).
 */

import {
  bfloat16BytesToFloat32,
  float8E4M3BytesToFloat32,
  float8E5M2BytesToFloat32,
  float16BytesToFloat32,
  writeBfloat16Bytes,
  writeFloat16Bytes,
} from '@llmr/binary-io';
import { InvalidArgumentError } from '@llmr/core';

/** The dtypes this package reads and writes. */
export const SAFETENSORS_DTYPES = [
  'F64',
  'F32',
  'F16',
  'BF16',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
  'F8_E4M3',
  'F8_E5M2',
] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** Bytes per element. */
export const SAFETENSORS_DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = Object.freeze({
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
});

/**
 * The order of the reference implementation's `Dtype` enum. Its writer puts tensors with the
 * largest dtype first (then by name), which keeps every tensor aligned to its element size.
 */
const REFERENCE_ORDER: Readonly<Record<SafetensorsDtype, number>> = Object.freeze({
  BOOL: 0,
  U8: 1,
  I8: 2,
  F8_E5M2: 3,
  F8_E4M3: 4,
  I16: 5,
  U16: 6,
  F16: 7,
  BF16: 8,
  I32: 9,
  U32: 10,
  F32: 11,
  F64: 12,
  I64: 13,
  U64: 14,
});

export function referenceDtypeRank(dtype: SafetensorsDtype): number {
  return REFERENCE_ORDER[dtype];
}

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_SIZES, value);
}

/** The typed array a dtype reads into (F16, BF16 as raw `Uint16Array` bits; FP8 and BOOL as bytes). */
export type SafetensorsTypedArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint8Array;

/** A view of `bytes` when aligned, else an aligned copy. */
function aligned(bytes: Uint8Array, size: number): { buffer: ArrayBufferLike; offset: number } {
  if (bytes.byteOffset % size === 0) return { buffer: bytes.buffer, offset: bytes.byteOffset };
  return { buffer: bytes.slice().buffer, offset: 0 };
}

/**
 * `bytes` as the typed array of `dtype`. Shares memory with `bytes` when it is aligned, so copy
 * before modifying data read from an in-memory source.
 */
export function toTypedArray(dtype: SafetensorsDtype, bytes: Uint8Array): SafetensorsTypedArray {
  const size = SAFETENSORS_DTYPE_SIZES[dtype];
  const count = Math.floor(bytes.byteLength / size);
  const { buffer, offset } = aligned(bytes, size);
  switch (dtype) {
    case 'F64':
      return new Float64Array(buffer, offset, count);
    case 'F32':
      return new Float32Array(buffer, offset, count);
    case 'F16':
    case 'BF16':
    case 'U16':
      return new Uint16Array(buffer, offset, count);
    case 'I64':
      return new BigInt64Array(buffer, offset, count);
    case 'U64':
      return new BigUint64Array(buffer, offset, count);
    case 'I32':
      return new Int32Array(buffer, offset, count);
    case 'U32':
      return new Uint32Array(buffer, offset, count);
    case 'I16':
      return new Int16Array(buffer, offset, count);
    case 'I8':
      return new Int8Array(buffer, offset, count);
    case 'U8':
    case 'BOOL':
    case 'F8_E4M3':
    case 'F8_E5M2':
      return new Uint8Array(buffer, offset, count);
  }
}

/** Converts `bytes` of `dtype` to float32 (a new array; 64-bit integers may lose precision). */
export function toFloat32(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  switch (dtype) {
    case 'F32': {
      const view = toTypedArray(dtype, bytes) as Float32Array;
      return view.buffer === bytes.buffer ? view.slice() : view;
    }
    case 'F16':
      return float16BytesToFloat32(bytes);
    case 'BF16':
      return bfloat16BytesToFloat32(bytes);
    case 'F8_E4M3':
      return float8E4M3BytesToFloat32(bytes);
    case 'F8_E5M2':
      return float8E5M2BytesToFloat32(bytes);
    case 'I64':
    case 'U64': {
      const view = toTypedArray(dtype, bytes) as BigInt64Array | BigUint64Array;
      const output = new Float32Array(view.length);
      for (let index = 0; index < view.length; index++) output[index] = Number(view[index]!);
      return output;
    }
    case 'BOOL':
      return Float32Array.from(bytes, (byte) => (byte ? 1 : 0));
    default:
      return Float32Array.from(toTypedArray(dtype, bytes) as ArrayLike<number>);
  }
}

/** Encodes float32 values as F32, F16, BF16 or F64 bytes (for writers). */
export function fromFloat32(values: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  switch (dtype) {
    case 'F32':
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'F16': {
      const output = new Uint8Array(values.length * 2);
      writeFloat16Bytes(values, output);
      return output;
    }
    case 'BF16': {
      const output = new Uint8Array(values.length * 2);
      writeBfloat16Bytes(values, output);
      return output;
    }
    case 'F64':
      return new Uint8Array(Float64Array.from(values).buffer);
    default:
      throw new InvalidArgumentError({
        argument: 'dtype',
        value: dtype,
        message: `Float32 values can be written as F32, F16, BF16 or F64, not ${dtype}; pass the ${dtype} data as a typed array instead.`,
      });
  }
}
