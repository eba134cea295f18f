/**
 * Dequantization of ggml blocks to float32, following ggml's reference `dequantize_row_*`
 * semantics block for block. Intermediate products are rounded to float32 (`Math.fround`) where
 * ggml computes in `float`, so results match the C code (compiled without FMA contraction).
 *
 * Block layouts (little-endian, `d`/`m`/`dmin` are F16):
 * - Q4_0 (32 values, 18 bytes): d, qs[16]           value = (nibble - 8) * d
 * - Q4_1 (32 values, 20 bytes): d, m, qs[16]        value = nibble * d + m
 * - Q5_0 (32 values, 22 bytes): d, qh[4], qs[16]    value = (5-bit - 16) * d
 * - Q5_1 (32 values, 24 bytes): d, m, qh[4], qs[16] value = 5-bit * d + m
 * - Q8_0 (32 values, 34 bytes): d, qs[32] (int8)    value = q * d
 * - Q2_K (256 values, 84 bytes): scales[16] (4-bit scale | 4-bit min per 16 values), qs[64]
 *   (2 bits), d, dmin; value = d * scale * q - dmin * min
 * - Q3_K (256 values, 110 bytes): hmask[32] (third bits), qs[64] (low 2 bits), scales[12]
 *   (sixteen 6-bit scales, offset 32), d; value = d * (scale - 32) * (3-bit - 4)
 * - Q4_K (256 values, 144 bytes): d, dmin, scales[12] (6-bit scales and mins of 8 sub-blocks),
 *   qs[128]; value = d * scale * nibble - dmin * min
 * - Q5_K (256 values, 176 bytes): d, dmin, scales[12], qh[32], qs[128]; as Q4_K with a 5th bit
 * - Q6_K (256 values, 210 bytes): ql[128], qh[64], scales[16] (int8), d;
 *   value = d * scale * (6-bit - 32) for 16 sub-blocks of 16
 * - TQ1_0 / TQ2_0 (256 ternary values, 54 / 66 bytes): see ./ternary.ts
 * Within a legacy block, byte j holds value j in its low nibble and value j + 16 in its high one.
 */

import { float16Table } from '@llmr/binary-io';
import { InvalidArgumentError, UnsupportedFunctionalityError } from '@llmr/core';
import { GgmlType, ggmlTypeInfo, ggmlTypeName } from './ggml-type';
import { decodeTQ1_0, decodeTQ2_0 } from './ternary';

const fround = Math.fround;

export type BlockDecoder = (bytes: Uint8Array, blockCount: number, output: Float32Array) => void;

function f16(table: Float32Array, bytes: Uint8Array, offset: number): number {
  return table[bytes[offset]! | (bytes[offset + 1]! << 8)]!;
}

function decodeF32(bytes: Uint8Array, count: number, output: Float32Array): void {
  if (bytes.byteOffset % 4 === 0) {
    output.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
  } else {
    output.set(new Float32Array(bytes.slice(0, count * 4).buffer));
  }
}

function decodeF16(bytes: Uint8Array, count: number, output: Float32Array): void {
  const table = float16Table();
  for (let index = 0, offset = 0; index < count; index++, offset += 2) {
    output[index] = table[bytes[offset]! | (bytes[offset + 1]! << 8)]!;
  }
}

function decodeBF16(bytes: Uint8Array, count: number, output: Float32Array): void {
  const bits = new Uint32Array(output.buffer, output.byteOffset, count);
  for (let index = 0, offset = 0; index < count; index++, offset += 2) {
    bits[index] = (bytes[offset]! << 16) | (bytes[offset + 1]! << 24);
  }
}

function decodeWithView(
  read: (view: DataView, offset: number) => number,
  size: number,
): BlockDecoder {
  return (bytes, count, output) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let index = 0; index < count; index++) output[index] = read(view, index * size);
  };
}

function decodeQ4_0(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  for (let block = 0; block < blockCount; block++) {
    const base = block * 18;
    const d = f16(table, bytes, base);
    const out = block * 32;
    for (let j = 0; j < 16; j++) {
      const q = bytes[base + 2 + j]!;
      output[out + j] = ((q & 0x0f) - 8) * d;
      output[out + j + 16] = ((q >>> 4) - 8) * d;
    }
  }
}

function decodeQ4_1(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  for (let block = 0; block < blockCount; block++) {
    const base = block * 20;
    const d = f16(table, bytes, base);
    const m = f16(table, bytes, base + 2);
    const out = block * 32;
    for (let j = 0; j < 16; j++) {
      const q = bytes[base + 4 + j]!;
      output[out + j] = fround((q & 0x0f) * d) + m;
      output[out + j + 16] = fround((q >>> 4) * d) + m;
    }
  }
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! |
      (bytes[offset + 1]! << 8) |
      (bytes[offset + 2]! << 16) |
      (bytes[offset + 3]! << 24)) >>>
    0
  );
}

function decodeQ5_0(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  for (let block = 0; block < blockCount; block++) {
    const base = block * 22;
    const d = f16(table, bytes, base);
    const qh = readU32(bytes, base + 2);
    const out = block * 32;
    for (let j = 0; j < 16; j++) {
      const q = bytes[base + 6 + j]!;
      const high0 = ((qh >>> j) << 4) & 0x10;
      const high1 = (qh >>> (j + 12)) & 0x10;
      output[out + j] = (((q & 0x0f) | high0) - 16) * d;
      output[out + j + 16] = (((q >>> 4) | high1) - 16) * d;
    }
  }
}

function decodeQ5_1(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  for (let block = 0; block < blockCount; block++) {
    const base = block * 24;
    const d = f16(table, bytes, base);
    const m = f16(table, bytes, base + 2);
    const qh = readU32(bytes, base + 4);
    const out = block * 32;
    for (let j = 0; j < 16; j++) {
      const q = bytes[base + 8 + j]!;
      const high0 = ((qh >>> j) << 4) & 0x10;
      const high1 = (qh >>> (j + 12)) & 0x10;
      output[out + j] = fround(((q & 0x0f) | high0) * d) + m;
      output[out + j + 16] = fround(((q >>> 4) | high1) * d) + m;
    }
  }
}

function decodeQ8_0(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  for (let block = 0; block < blockCount; block++) {
    const base = block * 34;
    const d = f16(table, bytes, base);
    const out = block * 32;
    for (let j = 0; j < 32; j++) output[out + j] = ((bytes[base + 2 + j]! << 24) >> 24) * d;
  }
}

/** `get_scale_min_k4`: the 6-bit scale and min of sub-block `j` from the 12 packed bytes. */
function scaleMinK4(bytes: Uint8Array, scales: number, j: number, into: [number, number]): void {
  if (j < 4) {
    into[0] = bytes[scales + j]! & 63;
    into[1] = bytes[scales + j + 4]! & 63;
  } else {
    into[0] = (bytes[scales + j + 4]! & 0x0f) | ((bytes[scales + j - 4]! >>> 6) << 4);
    into[1] = (bytes[scales + j + 4]! >>> 4) | ((bytes[scales + j]! >>> 6) << 4);
  }
}

function decodeQ2_K(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  for (let block = 0; block < blockCount; block++) {
    const base = block * 84;
    const d = f16(table, bytes, base + 80);
    const dmin = f16(table, bytes, base + 82);
    let scale = base;
    let q = base + 16;
    let out = block * 256;
    for (let half = 0; half < 2; half++) {
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const packed = bytes[scale++]!;
          const dl = fround(d * (packed & 0x0f));
          const ml = fround(dmin * (packed >>> 4));
          const first = q + 16 * part;
          for (let l = 0; l < 16; l++)
            output[out++] = fround(dl * ((bytes[first + l]! >>> shift) & 3)) - ml;
        }
      }
      q += 32;
    }
  }
}

function decodeQ3_K(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  const scales = new Int8Array(16);
  for (let block = 0; block < blockCount; block++) {
    const base = block * 110;
    const hmask = base;
    let q = base + 32;
    const packed = base + 96;
    const d = f16(table, bytes, base + 108);
    // 16 six-bit scales: low 4 bits in bytes 0-7 (low then high nibbles), top 2 bits in bytes 8-11.
    for (let j = 0; j < 16; j++) {
      const low = j < 8 ? bytes[packed + j]! & 0x0f : bytes[packed + j - 8]! >>> 4;
      const high = (bytes[packed + 8 + (j % 4)]! >>> (2 * (j >>> 2))) & 3;
      scales[j] = (low | (high << 4)) - 32;
    }
    let out = block * 256;
    let is = 0;
    let mask = 1;
    for (let half = 0; half < 2; half++) {
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const dl = fround(d * scales[is++]!);
          const first = 16 * part;
          for (let l = 0; l < 16; l++) {
            const low = (bytes[q + first + l]! >>> shift) & 3;
            const high = bytes[hmask + first + l]! & mask ? 0 : 4;
            output[out++] = dl * (low - high);
          }
        }
        mask <<= 1;
      }
      q += 32;
    }
  }
}

function decodeQ4_K(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  const scaleMin: [number, number] = [0, 0];
  for (let block = 0; block < blockCount; block++) {
    const base = block * 144;
    const d = f16(table, bytes, base);
    const dmin = f16(table, bytes, base + 2);
    const scales = base + 4;
    let q = base + 16;
    let out = block * 256;
    for (let group = 0; group < 4; group++) {
      scaleMinK4(bytes, scales, 2 * group, scaleMin);
      const d1 = fround(d * scaleMin[0]);
      const m1 = fround(dmin * scaleMin[1]);
      scaleMinK4(bytes, scales, 2 * group + 1, scaleMin);
      const d2 = fround(d * scaleMin[0]);
      const m2 = fround(dmin * scaleMin[1]);
      for (let l = 0; l < 32; l++) output[out + l] = fround(d1 * (bytes[q + l]! & 0x0f)) - m1;
      for (let l = 0; l < 32; l++) output[out + 32 + l] = fround(d2 * (bytes[q + l]! >>> 4)) - m2;
      q += 32;
      out += 64;
    }
  }
}

function decodeQ5_K(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  const scaleMin: [number, number] = [0, 0];
  for (let block = 0; block < blockCount; block++) {
    const base = block * 176;
    const d = f16(table, bytes, base);
    const dmin = f16(table, bytes, base + 2);
    const scales = base + 4;
    const qh = base + 16;
    let ql = base + 48;
    let out = block * 256;
    for (let group = 0; group < 4; group++) {
      scaleMinK4(bytes, scales, 2 * group, scaleMin);
      const d1 = fround(d * scaleMin[0]);
      const m1 = fround(dmin * scaleMin[1]);
      scaleMinK4(bytes, scales, 2 * group + 1, scaleMin);
      const d2 = fround(d * scaleMin[0]);
      const m2 = fround(dmin * scaleMin[1]);
      // The fifth bits of this group's two sub-blocks are bits 2g and 2g + 1 of qh[l].
      const shift1 = 2 * group;
      const shift2 = 2 * group + 1;
      for (let l = 0; l < 32; l++) {
        const high = ((bytes[qh + l]! >>> shift1) & 1) << 4;
        output[out + l] = fround(d1 * ((bytes[ql + l]! & 0x0f) + high)) - m1;
      }
      for (let l = 0; l < 32; l++) {
        const high = ((bytes[qh + l]! >>> shift2) & 1) << 4;
        output[out + 32 + l] = fround(d2 * ((bytes[ql + l]! >>> 4) + high)) - m2;
      }
      ql += 32;
      out += 64;
    }
  }
}

function decodeQ6_K(bytes: Uint8Array, blockCount: number, output: Float32Array): void {
  const table = float16Table();
  for (let block = 0; block < blockCount; block++) {
    const base = block * 210;
    const d = f16(table, bytes, base + 208);
    let ql = base;
    let qh = base + 128;
    let sc = base + 192;
    let out = block * 256;
    for (let half = 0; half < 2; half++) {
      for (let l = 0; l < 32; l++) {
        const is = l >>> 4;
        const high = bytes[qh + l]!;
        const low0 = bytes[ql + l]!;
        const low32 = bytes[ql + l + 32]!;
        const q1 = ((low0 & 0x0f) | ((high & 3) << 4)) - 32;
        const q2 = ((low32 & 0x0f) | (((high >>> 2) & 3) << 4)) - 32;
        const q3 = ((low0 >>> 4) | (((high >>> 4) & 3) << 4)) - 32;
        const q4 = ((low32 >>> 4) | (((high >>> 6) & 3) << 4)) - 32;
        output[out + l] = fround(d * ((bytes[sc + is]! << 24) >> 24)) * q1;
        output[out + l + 32] = fround(d * ((bytes[sc + is + 2]! << 24) >> 24)) * q2;
        output[out + l + 64] = fround(d * ((bytes[sc + is + 4]! << 24) >> 24)) * q3;
        output[out + l + 96] = fround(d * ((bytes[sc + is + 6]! << 24) >> 24)) * q4;
      }
      ql += 64;
      qh += 32;
      sc += 8;
      out += 128;
    }
  }
}

/** Decoders take a count of blocks (elements for plain types). */
const decoders: Partial<Record<GgmlType, BlockDecoder>> = {
  [GgmlType.F32]: decodeF32,
  [GgmlType.F16]: decodeF16,
  [GgmlType.BF16]: decodeBF16,
  [GgmlType.F64]: decodeWithView((view, offset) => view.getFloat64(offset, true), 8),
  [GgmlType.I8]: decodeWithView((view, offset) => view.getInt8(offset), 1),
  [GgmlType.I16]: decodeWithView((view, offset) => view.getInt16(offset, true), 2),
  [GgmlType.I32]: decodeWithView((view, offset) => view.getInt32(offset, true), 4),
  [GgmlType.I64]: decodeWithView((view, offset) => Number(view.getBigInt64(offset, true)), 8),
  [GgmlType.Q4_0]: decodeQ4_0,
  [GgmlType.Q4_1]: decodeQ4_1,
  [GgmlType.Q5_0]: decodeQ5_0,
  [GgmlType.Q5_1]: decodeQ5_1,
  [GgmlType.Q8_0]: decodeQ8_0,
  [GgmlType.Q2_K]: decodeQ2_K,
  [GgmlType.Q3_K]: decodeQ3_K,
  [GgmlType.Q4_K]: decodeQ4_K,
  [GgmlType.Q5_K]: decodeQ5_K,
  [GgmlType.Q6_K]: decodeQ6_K,
  [GgmlType.TQ1_0]: decodeTQ1_0,
  [GgmlType.TQ2_0]: decodeTQ2_0,
};

/** Whether {@link dequantize} handles `type`. */
export function canDequantize(type: number): boolean {
  return decoders[type as GgmlType] !== undefined;
}

/** The ggml types {@link dequantize} handles. */
export const DEQUANTIZABLE_TYPES: readonly GgmlType[] = Object.freeze(
  Object.keys(decoders).map((type) => Number(type) as GgmlType),
);

/**
 * Decodes `elementCount` values of ggml `type` from `bytes` into float32. `elementCount` must be
 * a whole number of blocks and `bytes` must hold them. Writes into `output` when given (it must
 * hold `elementCount` values) and returns it.
 */
export function dequantize(
  bytes: Uint8Array,
  type: GgmlType,
  elementCount: number,
  output?: Float32Array,
): Float32Array {
  const info = ggmlTypeInfo(type);
  const decoder = decoders[type];
  if (!info || !decoder) {
    throw new UnsupportedFunctionalityError({
      functionality: `dequantize-${ggmlTypeName(type)}`,
      message: `Cannot dequantize ggml type ${ggmlTypeName(type)}; supported: ${DEQUANTIZABLE_TYPES.map(ggmlTypeName).join(', ')}.`,
    });
  }
  if (
    !Number.isSafeInteger(elementCount) ||
    elementCount < 0 ||
    elementCount % info.blockSize !== 0
  ) {
    throw new InvalidArgumentError({
      argument: 'elementCount',
      value: elementCount,
      message: `${info.name} holds values in blocks of ${info.blockSize}; ${elementCount} is not a whole number of blocks.`,
    });
  }
  const blockCount = elementCount / info.blockSize;
  const byteLength = blockCount * info.typeSize;
  if (bytes.byteLength < byteLength) {
    throw new InvalidArgumentError({
      argument: 'bytes',
      value: bytes.byteLength,
      message: `${elementCount} ${info.name} values take ${byteLength} bytes; only ${bytes.byteLength} were given.`,
    });
  }
  const target = output ?? new Float32Array(elementCount);
  if (target.length < elementCount) {
    throw new InvalidArgumentError({
      argument: 'output',
      value: target.length,
      message: `The output holds ${target.length} values; ${elementCount} are needed.`,
    });
  }
  decoder(bytes, blockCount, target);
  return target;
}
