import { InvalidArgumentError, UnsupportedFunctionalityError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { canDequantize, dequantize } from './dequantize';
import { GgmlType } from './ggml-type';

/** Little-endian F16 bytes of a few exact values used below. */
const HALF = {
  0.25: [0x00, 0x34],
  0.5: [0x00, 0x38],
  1: [0x00, 0x3c],
  2: [0x00, 0x40],
  minus1: [0x00, 0xbc],
} as const;

function block(size: number, parts: [number, ArrayLike<number>][]): Uint8Array {
  const bytes = new Uint8Array(size);
  for (const [offset, values] of parts) bytes.set(Array.from(values), offset);
  return bytes;
}

describe('dequantize: hand-built blocks', () => {
  it('F32, F16, BF16 and integer types', () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -2, 3.25]).buffer);
    expect(Array.from(dequantize(f32, GgmlType.F32, 3))).toEqual([1.5, -2, 3.25]);
    // Unaligned F32 bytes are copied, not viewed.
    const unaligned = new Uint8Array(13);
    unaligned.set(f32, 1);
    expect(Array.from(dequantize(unaligned.subarray(1), GgmlType.F32, 3))).toEqual([1.5, -2, 3.25]);
    expect(
      Array.from(dequantize(Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]), GgmlType.F16, 2)),
    ).toEqual([1, -2]);
    expect(
      Array.from(dequantize(Uint8Array.from([0x80, 0x3f, 0x40, 0xc0]), GgmlType.BF16, 2)),
    ).toEqual([1, -3]);
    expect(Array.from(dequantize(Uint8Array.from([0xff, 0x05]), GgmlType.I8, 2))).toEqual([-1, 5]);
    expect(
      Array.from(dequantize(Uint8Array.from([0xfe, 0xff, 0x00, 0x01]), GgmlType.I16, 2)),
    ).toEqual([-2, 256]);
    expect(
      Array.from(dequantize(new Uint8Array(new Int32Array([-7, 70000]).buffer), GgmlType.I32, 2)),
    ).toEqual([-7, 70000]);
    expect(
      Array.from(dequantize(new Uint8Array(new BigInt64Array([-9n]).buffer), GgmlType.I64, 1)),
    ).toEqual([-9]);
    expect(
      Array.from(dequantize(new Uint8Array(new Float64Array([0.5]).buffer), GgmlType.F64, 1)),
    ).toEqual([0.5]);
  });

  it('Q8_0: value = q * d', () => {
    // d = 0.25; qs = [1, -2, 127, -128, 0, ...]
    const bytes = block(34, [
      [0, HALF[0.25]],
      [2, [1, 0xfe, 127, 0x80]],
    ]);
    const values = dequantize(bytes, GgmlType.Q8_0, 32);
    expect(Array.from(values.subarray(0, 5))).toEqual([0.25, -0.5, 31.75, -32, 0]);
    expect(values.subarray(5).every((value) => value === 0)).toBe(true);
  });

  it('Q4_0: value = (nibble - 8) * d, low nibbles first', () => {
    // d = 0.5; qs[0] = 0x1f (low 15, high 1); other qs = 0x88 (both 8: value 0).
    const bytes = block(18, [
      [0, HALF[0.5]],
      [2, new Array(16).fill(0x88)],
      [2, [0x1f]],
    ]);
    const values = dequantize(bytes, GgmlType.Q4_0, 32);
    expect(values[0]).toBe(3.5); // (15 - 8) * 0.5
    expect(values[16]).toBe(-3.5); // (1 - 8) * 0.5
    expect(values.filter((value) => value !== 0).length).toBe(2);
  });

  it('Q4_1: value = nibble * d + m', () => {
    // d = 0.5, m = -1; qs[0] = 0x3a (low 10, high 3); other qs = 0x22 (2 -> 0).
    const bytes = block(20, [
      [0, HALF[0.5]],
      [2, HALF.minus1],
      [4, new Array(16).fill(0x22)],
      [4, [0x3a]],
    ]);
    const values = dequantize(bytes, GgmlType.Q4_1, 32);
    expect(values[0]).toBe(4); // 10 * 0.5 - 1
    expect(values[16]).toBe(0.5); // 3 * 0.5 - 1
    expect(values[1]).toBe(0);
  });

  it('Q5_0: the fifth bits come from qh (bit j for value j, bit j + 16 for value j + 16)', () => {
    // d = 1; qh = 0x00010001; qs[0] = 0x53, qs[1] = 0x21, others 0.
    const bytes = block(22, [
      [0, HALF[1]],
      [2, [0x01, 0x00, 0x01, 0x00]],
      [6, [0x53, 0x21]],
    ]);
    const values = dequantize(bytes, GgmlType.Q5_0, 32);
    expect(values[0]).toBe(3); // (3 | 16) - 16
    expect(values[16]).toBe(5); // (5 | 16) - 16
    expect(values[1]).toBe(-15); // 1 - 16
    expect(values[17]).toBe(-14); // 2 - 16
    expect(values[2]).toBe(-16);
  });

  it('Q5_1: value = 5-bit * d + m', () => {
    // d = 0.5, m = 2; qh bit 1 set; qs[1] = 0x0f.
    const bytes = block(24, [
      [0, HALF[0.5]],
      [2, HALF[2]],
      [4, [0x02, 0, 0, 0]],
      [8, [0x00, 0x0f]],
    ]);
    const values = dequantize(bytes, GgmlType.Q5_1, 32);
    expect(values[1]).toBe(17.5); // (15 | 16) * 0.5 + 2
    expect(values[17]).toBe(2); // 0 * 0.5 + 2
    expect(values[0]).toBe(2);
  });

  it('Q2_K: value = d * scale * q - dmin * min, sixteen 16-value sub-blocks of 2-bit quants', () => {
    const scales = new Array(16).fill(0);
    scales[0] = 0x21; // scale 1, min 2
    scales[1] = 0x03; // scale 3, min 0
    scales[2] = 0x12; // scale 2, min 1
    scales[7] = 0x0f; // scale 15, min 0
    scales[8] = 0x10; // scale 0, min 1
    // Every qs byte 0xe4: the 2-bit fields at shifts 0, 2, 4, 6 are 0, 1, 2, 3.
    const bytes = block(84, [
      [0, scales],
      [16, new Array(64).fill(0xe4)],
      [80, HALF[1]],
      [82, HALF[0.5]],
    ]);
    const values = dequantize(bytes, GgmlType.Q2_K, 256);
    expect(values[0]).toBe(-1); // 1 * 1 * 0 - 0.5 * 2 (shift 0, first 16 bytes)
    expect(values[15]).toBe(-1);
    expect(values[16]).toBe(0); // 3 * 0 - 0 (shift 0, next 16 bytes)
    expect(values[32]).toBe(1.5); // 2 * 1 - 0.5 * 1 (shift 2)
    expect(values[112]).toBe(45); // 15 * 3 (shift 6, second 16 bytes)
    expect(values[128]).toBe(-0.5); // second half: 0 * 0 - 0.5 * 1
  });

  it('Q3_K: value = d * (6-bit scale - 32) * (2 low bits - (high bit clear ? 4 : 0))', () => {
    // Scales: sub-block 0 -> 33, 1 -> 30, 8 -> 36, 15 -> 0, the rest 32 (low nibbles in bytes 0-7,
    // top two bits in bytes 8-11), so after -32: +1, -2, +4, -32 and 0.
    const scales = [0x41, 0x0e, 0, 0, 0, 0, 0, 0, 0xaa, 0xa9, 0xaa, 0x2a];
    const hmask = new Array(32).fill(0xff);
    hmask[0] = 0xfe; // value 0 has no high bit
    hmask[16] = 0x7f; // value 240 (bit 7, second 16 bytes) has no high bit
    const qs = [...new Array(32).fill(0xe4), ...new Array(32).fill(0x1b)];
    qs[20] = 0xe7; // value 20: low bits 3 at shift 0
    const bytes = block(110, [
      [0, hmask],
      [32, qs],
      [96, scales],
      [108, HALF[0.5]],
    ]);
    const values = dequantize(bytes, GgmlType.Q3_K, 256);
    expect(values[0]).toBe(-2); // 0.5 * 1 * (0 - 4)
    expect(values[1]).toBe(0); // 0.5 * 1 * (0 - 0)
    expect(values[20]).toBe(-3); // 0.5 * -2 * 3
    expect(values[32]).toBe(0); // scale 32 - 32 = 0
    expect(values[128]).toBe(6); // 0.5 * 4 * 3 (second half, 0x1b at shift 0)
    expect(values[240]).toBe(64); // 0.5 * -32 * (0 - 4)
  });

  /**
   * Packed 6-bit scales/mins shared by the Q4_K and Q5_K cases:
   * sub-block 0: scale 2, min 4; 1: scale 3, min 1; 2: 0, 0; 3: scale 5, min 6;
   * 4: scale 3, min 2 (low/high nibbles of byte 8); 7: scale 16, min 32 (top bits of bytes 3, 7).
   */
  const kScales = [2, 3, 0, 0x40 | 5, 4, 1, 0, 0x80 | 6, 0x23, 0, 0, 0];

  it('Q4_K: value = d * scale * nibble - dmin * min, two 32-value sub-blocks per 32 bytes', () => {
    // d = 1, dmin = 0.5; every qs byte 0x21 (low nibble 1, high nibble 2).
    const bytes = block(144, [
      [0, HALF[1]],
      [2, HALF[0.5]],
      [4, kScales],
      [16, new Array(128).fill(0x21)],
    ]);
    const values = dequantize(bytes, GgmlType.Q4_K, 256);
    const expectedPerSubBlock = [0, 5.5, 0, 7, 2, 0, 0, 16];
    // 0: 2*1 - 0.5*4; 1: 3*2 - 0.5*1; 3: 5*2 - 0.5*6; 4: 3*1 - 0.5*2; 7: 16*2 - 0.5*32
    for (let sub = 0; sub < 8; sub++) {
      for (let index = 0; index < 32; index++)
        expect(values[sub * 32 + index]).toBe(expectedPerSubBlock[sub]);
    }
  });

  it('Q5_K: as Q4_K with a fifth bit per value from qh', () => {
    const qh = new Array(32).fill(0);
    qh[0] = 0x01; // value 0 (sub-block 0)
    qh[5] = 0x80; // value 7 * 32 + 5 (sub-block 7)
    const bytes = block(176, [
      [0, HALF[1]],
      [2, HALF[0.5]],
      [4, kScales],
      [16, qh],
      [48, new Array(128).fill(0x21)],
    ]);
    const values = dequantize(bytes, GgmlType.Q5_K, 256);
    expect(values[0]).toBe(32); // 2 * (1 + 16) - 2
    expect(values[1]).toBe(0); // 2 * 1 - 2
    expect(values[32]).toBe(5.5);
    expect(values[224 + 5]).toBe(272); // 16 * (2 + 16) - 16
    expect(values[224 + 6]).toBe(16);
  });

  it('Q6_K: value = d * scale * (6-bit - 32), sixteen 16-value sub-blocks', () => {
    const ql = new Array(128).fill(0);
    ql[0] = 0x5a; // low 10, high 5
    const qh = new Array(64).fill(0);
    qh[0] = 0xe4; // 2-bit fields 0, 1, 2, 3
    const scales = [2, 0xff, 3, 1, 4, 1, 0xfe, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const bytes = block(210, [
      [0, ql],
      [128, qh],
      [192, scales],
      [208, HALF[0.5]],
    ]);
    const values = dequantize(bytes, GgmlType.Q6_K, 256);
    expect(values[0]).toBe(-22); // 0.5 * 2 * ((10 | 0 << 4) - 32)
    expect(values[32]).toBe(-24); // 0.5 * 3 * ((0 | 1 << 4) - 32)
    expect(values[64]).toBe(10); // 0.5 * 4 * ((5 | 2 << 4) - 32)
    expect(values[96]).toBe(-16); // 0.5 * -2 * ((0 | 3 << 4) - 32)
    expect(values[1]).toBe(-32); // 0.5 * 2 * -32
    expect(values[16]).toBe(16); // 0.5 * -1 * -32
    expect(values[128]).toBe(-16); // second half: scale 1
    expect(values[255]).toBe(-16);
  });

  it('handles several blocks and writes into a given output', () => {
    const one = block(34, [
      [0, HALF[1]],
      [2, new Array(32).fill(3)],
    ]);
    const two = block(34, [
      [0, HALF[2]],
      [2, new Array(32).fill(0xff)],
    ]);
    const bytes = new Uint8Array(68);
    bytes.set(one);
    bytes.set(two, 34);
    const output = new Float32Array(64);
    expect(dequantize(bytes, GgmlType.Q8_0, 64, output)).toBe(output);
    expect(output[0]).toBe(3);
    expect(output[63]).toBe(-2);
  });

  it('refuses partial blocks, short input and unsupported types', () => {
    expect(() => dequantize(new Uint8Array(34), GgmlType.Q8_0, 31)).toThrow(InvalidArgumentError);
    expect(() => dequantize(new Uint8Array(33), GgmlType.Q8_0, 32)).toThrow(InvalidArgumentError);
    expect(() => dequantize(new Uint8Array(34), GgmlType.Q8_0, 32, new Float32Array(8))).toThrow(
      InvalidArgumentError,
    );
    expect(() => dequantize(new Uint8Array(66), GgmlType.IQ2_XXS, 256)).toThrow(
      UnsupportedFunctionalityError,
    );
    expect(canDequantize(GgmlType.Q6_K)).toBe(true);
    expect(canDequantize(GgmlType.IQ2_XXS)).toBe(false);
  });
});
