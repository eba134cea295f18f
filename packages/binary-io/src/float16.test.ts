import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32,
  bfloat16BytesToFloat32,
  float8E4M3BytesToFloat32,
  float8E5M2BytesToFloat32,
  float16BitsToFloat32,
  float16BytesToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  writeBfloat16Bytes,
  writeFloat16Bytes,
} from './float16';

describe('float16', () => {
  it('decodes known half values', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x0400)).toBe(2 ** -14);
    expect(float16BitsToFloat32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(float16BitsToFloat32(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('round-trips every finite half value exactly', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16BitsToFloat32(bits);
      if (Number.isNaN(value)) {
        expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(value)))).toBe(true);
        continue;
      }
      expect(float32ToFloat16Bits(value)).toBe(bits);
    }
  });

  it('rounds to nearest, ties to even, like ggml', () => {
    // Between 1 (0x3c00) and 1 + 2^-10 (0x3c01): the midpoint goes to the even one.
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    // Overflow and underflow.
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // tie to even (0)
    expect(float32ToFloat16Bits(2 ** -25 * 1.5)).toBe(1);
    expect(float32ToFloat16Bits(-(2 ** -26))).toBe(0x8000);
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(2); // subnormal tie 1.5 -> 2
  });

  it('converts BF16 with round to nearest even and quiet NaNs', () => {
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat32(0xc040)).toBe(-3);
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1).
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(float32ToBfloat16Bits(Number.NaN) & 0x7fc0).toBe(0x7fc0);
  });

  it('converts byte arrays both ways', () => {
    const values = new Float32Array([0, 1, -2.5, 0.099975586, 65504]);
    const half = new Uint8Array(values.length * 2);
    writeFloat16Bytes(values, half);
    expect(Array.from(float16BytesToFloat32(half))).toEqual(
      [0, 1, -2.5, 0.099975586 * 1, 65504].map(Math.fround),
    );
    const brain = new Uint8Array(values.length * 2);
    writeBfloat16Bytes(new Float32Array([1, -3, 256]), brain, 0);
    expect(Array.from(bfloat16BytesToFloat32(brain.subarray(0, 6)))).toEqual([1, -3, 256]);
  });
});

describe('float8', () => {
  it('decodes E4M3FN: bias 7, subnormals, no infinities, one NaN per sign', () => {
    const decoded = float8E4M3BytesToFloat32(
      new Uint8Array([0x00, 0x38, 0xb8, 0x01, 0x7e, 0x7f, 0xff, 0x80]),
    );
    expect(Array.from(decoded.subarray(0, 5))).toEqual([0, 1, -1, 2 ** -9, 448]);
    expect(decoded[5]).toBeNaN();
    expect(decoded[6]).toBeNaN();
    expect(Object.is(decoded[7], -0)).toBe(true);
  });

  it('decodes E5M2 as the top byte of an F16', () => {
    const decoded = float8E5M2BytesToFloat32(new Uint8Array([0x3c, 0xc0, 0x7b, 0x7c, 0x01, 0x7d]));
    expect(Array.from(decoded.subarray(0, 5))).toEqual([1, -2, 57344, Infinity, 2 ** -16]);
    expect(decoded[5]).toBeNaN();
  });
});
