/**
 * Quantization of float32 values to ggml blocks with the semantics of ggml's reference
 * `quantize_row_*_ref` functions (the ones llama.cpp's converters and `llama-quantize` without
 * an importance matrix use). Arithmetic is rounded to float32 at every step where the C code
 * computes in `float`, so the bytes match the reference implementation's.
 */

import { float32ToFloat16Bits, writeBfloat16Bytes, writeFloat16Bytes } from '@llmr/binary-io';
import { InvalidArgumentError, UnsupportedFunctionalityError } from '@llmr/core';
import { GgmlType, ggmlTypeInfo, ggmlTypeName } from './ggml-type';
import { encodeQ2_K, encodeQ3_K, encodeQ4_K, encodeQ5_K, encodeQ6_K } from './k-quants';
import { encodeTQ1_0, encodeTQ2_0 } from './ternary';

const fround = Math.fround;
const FLT_MAX = 3.4028234663852886e38;

export type BlockEncoder = (
  values: Float32Array,
  blockCount: number,
  output: Uint8Array,
  offset: number,
) => void;

function writeHalf(output: Uint8Array, offset: number, value: number): void {
  const half = float32ToFloat16Bits(value);
  output[offset] = half & 0xff;
  output[offset + 1] = half >>> 8;
}

/**
 * C's `roundf` (halves away from zero) for the small values quantizers round: adding ±0.5 is
 * exact in double for |value| < 2^52, and `| 0` truncates toward zero.
 */
function roundHalfAway(value: number): number {
  return (value + (value < 0 ? -0.5 : 0.5)) | 0;
}

function encodeQ8_0(
  values: Float32Array,
  blockCount: number,
  output: Uint8Array,
  offset: number,
): void {
  for (let block = 0; block < blockCount; block++) {
    const first = block * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const absolute = Math.abs(values[first + j]!);
      // biome-ignore lint/complexity/useMathMinMax: ggml's MAX macro, whose NaN behaviour Math.max does not share.
      amax = amax > absolute ? amax : absolute;
    }
    const d = fround(amax / 127);
    const id = d ? fround(1 / d) : 0;
    const base = offset + block * 34;
    writeHalf(output, base, d);
    for (let j = 0; j < 32; j++) {
      output[base + 2 + j] = roundHalfAway(fround(values[first + j]! * id)) & 0xff;
    }
  }
}

/** `max`: the value with the largest magnitude (first one wins ties), as the reference picks it. */
function signedAbsoluteMax(values: Float32Array, first: number, count: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < count; j++) {
    const value = values[first + j]!;
    if (amax < Math.abs(value)) {
      amax = Math.abs(value);
      max = value;
    }
  }
  return max;
}

function encodeQ4_0(
  values: Float32Array,
  blockCount: number,
  output: Uint8Array,
  offset: number,
): void {
  for (let block = 0; block < blockCount; block++) {
    const first = block * 32;
    const max = signedAbsoluteMax(values, first, 32);
    const d = fround(max / -8);
    const id = d ? fround(1 / d) : 0;
    const base = offset + block * 18;
    writeHalf(output, base, d);
    for (let j = 0; j < 16; j++) {
      const x0 = fround(values[first + j]! * id);
      const x1 = fround(values[first + 16 + j]! * id);
      // (int8_t) truncates toward zero, as `| 0` does.
      const q0 = Math.min(15, fround(x0 + 8.5) | 0) & 0x0f;
      const q1 = Math.min(15, fround(x1 + 8.5) | 0) & 0x0f;
      output[base + 2 + j] = q0 | (q1 << 4);
    }
  }
}

function minMax(values: Float32Array, first: number, count: number): [number, number] {
  let min = FLT_MAX;
  let max = -FLT_MAX;
  for (let j = 0; j < count; j++) {
    const value = values[first + j]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return [min, max];
}

function encodeQ4_1(
  values: Float32Array,
  blockCount: number,
  output: Uint8Array,
  offset: number,
): void {
  for (let block = 0; block < blockCount; block++) {
    const first = block * 32;
    const [min, max] = minMax(values, first, 32);
    const d = fround(fround(max - min) / 15);
    const id = d ? fround(1 / d) : 0;
    const base = offset + block * 20;
    writeHalf(output, base, d);
    writeHalf(output, base + 2, min);
    for (let j = 0; j < 16; j++) {
      const x0 = fround(fround(values[first + j]! - min) * id);
      const x1 = fround(fround(values[first + 16 + j]! - min) * id);
      const q0 = Math.min(15, fround(x0 + 0.5) | 0) & 0x0f;
      const q1 = Math.min(15, fround(x1 + 0.5) | 0) & 0x0f;
      output[base + 4 + j] = q0 | (q1 << 4);
    }
  }
}

function writeU32(output: Uint8Array, offset: number, value: number): void {
  output[offset] = value & 0xff;
  output[offset + 1] = (value >>> 8) & 0xff;
  output[offset + 2] = (value >>> 16) & 0xff;
  output[offset + 3] = (value >>> 24) & 0xff;
}

function encodeQ5_0(
  values: Float32Array,
  blockCount: number,
  output: Uint8Array,
  offset: number,
): void {
  for (let block = 0; block < blockCount; block++) {
    const first = block * 32;
    const max = signedAbsoluteMax(values, first, 32);
    const d = fround(max / -16);
    const id = d ? fround(1 / d) : 0;
    const base = offset + block * 22;
    writeHalf(output, base, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fround(values[first + j]! * id);
      const x1 = fround(values[first + 16 + j]! * id);
      const q0 = Math.min(31, fround(x0 + 16.5) | 0) & 0xff;
      const q1 = Math.min(31, fround(x1 + 16.5) | 0) & 0xff;
      output[base + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + 16);
    }
    writeU32(output, base + 2, qh);
  }
}

function encodeQ5_1(
  values: Float32Array,
  blockCount: number,
  output: Uint8Array,
  offset: number,
): void {
  for (let block = 0; block < blockCount; block++) {
    const first = block * 32;
    const [min, max] = minMax(values, first, 32);
    const d = fround(fround(max - min) / 31);
    const id = d ? fround(1 / d) : 0;
    const base = offset + block * 24;
    writeHalf(output, base, d);
    writeHalf(output, base + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fround(fround(values[first + j]! - min) * id);
      const x1 = fround(fround(values[first + 16 + j]! - min) * id);
      // The reference does not clamp here ((uint8_t) truncation only).
      const q0 = (fround(x0 + 0.5) | 0) & 0xff;
      const q1 = (fround(x1 + 0.5) | 0) & 0xff;
      output[base + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + 16);
    }
    writeU32(output, base + 4, qh);
  }
}

const encoders: Partial<Record<GgmlType, BlockEncoder>> = {
  [GgmlType.F32]: (values, count, output, offset) => {
    output.set(new Uint8Array(values.buffer, values.byteOffset, count * 4), offset);
  },
  [GgmlType.F16]: (values, count, output, offset) =>
    writeFloat16Bytes(values.subarray(0, count), output, offset),
  [GgmlType.BF16]: (values, count, output, offset) =>
    writeBfloat16Bytes(values.subarray(0, count), output, offset),
  [GgmlType.Q8_0]: encodeQ8_0,
  [GgmlType.Q4_0]: encodeQ4_0,
  [GgmlType.Q4_1]: encodeQ4_1,
  [GgmlType.Q5_0]: encodeQ5_0,
  [GgmlType.Q5_1]: encodeQ5_1,
  [GgmlType.Q2_K]: encodeQ2_K,
  [GgmlType.Q3_K]: encodeQ3_K,
  [GgmlType.Q4_K]: encodeQ4_K,
  [GgmlType.Q5_K]: encodeQ5_K,
  [GgmlType.Q6_K]: encodeQ6_K,
  [GgmlType.TQ1_0]: encodeTQ1_0,
  [GgmlType.TQ2_0]: encodeTQ2_0,
};

/** The ggml types {@link quantize} writes. */
export const QUANTIZABLE_TYPES: readonly GgmlType[] = Object.freeze(
  Object.keys(encoders).map((type) => Number(type) as GgmlType),
);

/** Whether {@link quantize} handles `type`. */
export function canQuantize(type: number): boolean {
  return encoders[type as GgmlType] !== undefined;
}

function checkedEncoder(
  values: Float32Array,
  type: GgmlType,
): { encoder: BlockEncoder; blockCount: number; byteLength: number } {
  const info = ggmlTypeInfo(type);
  const encoder = encoders[type];
  if (!info || !encoder) {
    throw new UnsupportedFunctionalityError({
      functionality: `quantize-${ggmlTypeName(type)}`,
      message: `Cannot quantize to ggml type ${ggmlTypeName(type)}; supported: ${QUANTIZABLE_TYPES.map(ggmlTypeName).join(', ')}.`,
    });
  }
  if (values.length % info.blockSize !== 0) {
    throw new InvalidArgumentError({
      argument: 'values',
      value: values.length,
      message: `${info.name} quantizes blocks of ${info.blockSize} values; ${values.length} values are not a whole number of blocks. Keep such tensors in F16 or F32.`,
    });
  }
  const blockCount = values.length / info.blockSize;
  return { encoder, blockCount, byteLength: blockCount * info.typeSize };
}

/**
 * Encodes `values` as ggml `type` into `output` at `offset`; returns the number of bytes written.
 * `values.length` must be a whole number of the type's blocks.
 */
export function quantizeInto(
  values: Float32Array,
  type: GgmlType,
  output: Uint8Array,
  offset = 0,
): number {
  const { encoder, blockCount, byteLength } = checkedEncoder(values, type);
  if (offset < 0 || offset + byteLength > output.byteLength) {
    throw new InvalidArgumentError({
      argument: 'output',
      value: output.byteLength,
      message: `Quantizing ${values.length} values to ${ggmlTypeName(type)} writes ${byteLength} bytes at ${offset}; the output holds ${output.byteLength}.`,
    });
  }
  encoder(values, blockCount, output, offset);
  return byteLength;
}

/**
 * Encodes `values` as ggml `type` (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K-Q6_K,
 * TQ1_0, TQ2_0).
 */
export function quantize(values: Float32Array, type: GgmlType): Uint8Array {
  const { encoder, blockCount, byteLength } = checkedEncoder(values, type);
  const output = new Uint8Array(byteLength);
  encoder(values, blockCount, output, 0);
  return output;
}
