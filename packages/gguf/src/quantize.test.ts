import { InvalidArgumentError, UnsupportedFunctionalityError } from '@llmr/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantize } from './dequantize';
import { GgmlType } from './ggml-type';
import { canQuantize, quantize, quantizeInto } from './quantize';

function block(values: number[]): Float32Array {
  const result = new Float32Array(32);
  result.set(values);
  return result;
}

describe('quantize: hand-computed blocks (ggml reference semantics)', () => {
  it('Q8_0: d = amax / 127, q = roundf(x / d) (halves away from zero)', () => {
    // amax 127 -> d = 1 exactly.
    const bytes = quantize(block([127, -127, 0.5, -0.5, 1.49, 2.5, -2.5, 0]), GgmlType.Q8_0);
    expect(bytes.length).toBe(34);
    expect([bytes[0], bytes[1]]).toEqual([0x00, 0x3c]); // F16 1.0
    const qs = Array.from(new Int8Array(bytes.buffer, 2, 8));
    expect(qs).toEqual([127, -127, 1, -1, 1, 3, -3, 0]);
  });

  it('Q8_0: an all-zero block has d = 0 and zero quants', () => {
    expect(Array.from(quantize(new Float32Array(32), GgmlType.Q8_0))).toEqual(
      new Array(34).fill(0),
    );
  });

  it('Q4_0: d = max / -8 with the signed value of largest magnitude; q = min(15, trunc(x / d + 8.5))', () => {
    // max = -8 -> d = 1.
    const bytes = quantize(block([-8, 7, 0, 0.49, 0.5, -0.5, 7.6]), GgmlType.Q4_0);
    expect([bytes[0], bytes[1]]).toEqual([0x00, 0x3c]);
    const low = Array.from(bytes.subarray(2, 9), (byte) => byte & 0x0f);
    expect(low).toEqual([0, 15, 8, 8, 9, 8, 15]);
    // Values 16..31 are zero -> 8 in the high nibbles.
    expect(bytes[2]! >>> 4).toBe(8);
    // max = +8 -> d = -1: the scale is negative and the quants flip.
    const flipped = quantize(block([8, -7]), GgmlType.Q4_0);
    expect([flipped[0], flipped[1]]).toEqual([0x00, 0xbc]);
    expect(flipped[2]! & 0x0f).toBe(0); // 8 * -1 + 8.5 = 0.5 -> 0
    expect(flipped[3]! & 0x0f).toBe(15); // -7 * -1 + 8.5 = 15.5 -> 15
  });

  it('Q4_1: d = (max - min) / 15, m = min, q = min(15, trunc((x - min) / d + 0.5))', () => {
    const values = block([-1, 14, 0, 6.5]);
    values.fill(-1, 4);
    const bytes = quantize(values, GgmlType.Q4_1);
    expect([bytes[0], bytes[1]]).toEqual([0x00, 0x3c]); // d = 1
    expect([bytes[2], bytes[3]]).toEqual([0x00, 0xbc]); // m = -1
    expect(Array.from(bytes.subarray(4, 8), (byte) => byte & 0x0f)).toEqual([0, 15, 1, 8]);
  });

  it('Q5_0: d = max / -16; the fifth bits go to qh', () => {
    const bytes = quantize(block([-16, 15, 0, -0.4]), GgmlType.Q5_0);
    expect([bytes[0], bytes[1]]).toEqual([0x00, 0x3c]);
    const qh = new DataView(bytes.buffer).getUint32(2, true);
    // q = [0, 31, 16, 16] for values 0..3 and 16 (value 0) for 4..31: bit 4 set except value 0.
    expect(qh).toBe(0xfffffffe);
    expect(Array.from(bytes.subarray(6, 10), (byte) => byte & 0x0f)).toEqual([0, 15, 0, 0]);
  });

  it('Q5_1: d = (max - min) / 31, m = min, q = trunc((x - min) / d + 0.5)', () => {
    const values = block([0, 31, 16.4, 0.6]);
    const bytes = quantize(values, GgmlType.Q5_1);
    expect([bytes[0], bytes[1]]).toEqual([0x00, 0x3c]); // d = 1
    expect([bytes[2], bytes[3]]).toEqual([0x00, 0x00]); // m = 0
    const qh = new DataView(bytes.buffer).getUint32(4, true);
    expect(qh).toBe(0b0110); // values 1 (31) and 2 (16) have the fifth bit
    expect(Array.from(bytes.subarray(8, 12), (byte) => byte & 0x0f)).toEqual([0, 15, 0, 1]);
  });

  it('F16, BF16 and F32 round-trip exactly representable values', () => {
    const values = new Float32Array([0, 1, -2, 0.5, 1024, -0.25]);
    for (const type of [GgmlType.F32, GgmlType.F16, GgmlType.BF16]) {
      expect(Array.from(dequantize(quantize(values, type), type, values.length))).toEqual(
        Array.from(values),
      );
    }
  });

  it('quantizeInto writes at an offset and checks the room', () => {
    const output = new Uint8Array(40);
    expect(quantizeInto(block([127]), GgmlType.Q8_0, output, 6)).toBe(34);
    expect(output[8]).toBe(127);
    expect(() => quantizeInto(block([1]), GgmlType.Q8_0, output, 7)).toThrow(InvalidArgumentError);
  });

  it('refuses partial blocks and types it cannot write', () => {
    expect(() => quantize(new Float32Array(31), GgmlType.Q8_0)).toThrow(InvalidArgumentError);
    expect(() => quantize(new Float32Array(256), GgmlType.IQ4_NL)).toThrow(
      UnsupportedFunctionalityError,
    );
    expect(canQuantize(GgmlType.Q4_0)).toBe(true);
    expect(canQuantize(GgmlType.Q6_K)).toBe(true);
    expect(canQuantize(GgmlType.IQ4_NL)).toBe(false);
  });
});

describe('quantize -> dequantize error bounds', () => {
  const blocks = fc
    .array(fc.float({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }), {
      minLength: 32,
      maxLength: 32,
    })
    .map((values) => Float32Array.from(values));

  /** Worst case per block: half a quantization step (a full one where the reference clamps), plus F16 rounding of the scales. */
  function maxError(values: Float32Array, type: GgmlType): number {
    const amax = values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    const min = Math.min(...values);
    const range = Math.max(...values) - min;
    const halfUlp = 2 ** -11;
    // Scales (and Q4_1/Q5_1 minimums) are stored as F16: below its normal range they are
    // rounded to a multiple of 2^-24 (or to 0), an absolute error of up to 2^-25 per unit of
    // the quantized value. Tiny blocks (amax ~ 1e-6) live there.
    const subnormal = (qmax: number) => qmax * 2 ** -25;
    switch (type) {
      case GgmlType.Q8_0:
        return (amax / 127) * 0.5 + amax * halfUlp * 2 + subnormal(127) + 1e-6;
      case GgmlType.Q4_0:
        return amax / 8 + amax * halfUlp * 2 + subnormal(8) + 1e-6; // the side opposite the max is clamped at 7
      case GgmlType.Q5_0:
        return amax / 16 + amax * halfUlp * 2 + subnormal(16) + 1e-6;
      case GgmlType.Q4_1:
        return (range / 15) * 0.5 + (range + Math.abs(min)) * halfUlp * 2 + subnormal(16) + 1e-6;
      case GgmlType.Q5_1:
        return (range / 31) * 0.5 + (range + Math.abs(min)) * halfUlp * 2 + subnormal(32) + 1e-6;
      default:
        return 0;
    }
  }

  it('Q8_0 of a block whose scale underflows F16 dequantizes to zeros, within the bound', () => {
    const values = new Float32Array(32);
    values[5] = -1.0049e-6;
    const restored = dequantize(quantize(values, GgmlType.Q8_0), GgmlType.Q8_0, 32);
    expect(Math.abs(restored[5]! - values[5]!)).toBeLessThanOrEqual(
      maxError(values, GgmlType.Q8_0),
    );
  });

  for (const [name, type] of [
    ['Q8_0', GgmlType.Q8_0],
    ['Q4_0', GgmlType.Q4_0],
    ['Q4_1', GgmlType.Q4_1],
    ['Q5_0', GgmlType.Q5_0],
    ['Q5_1', GgmlType.Q5_1],
  ] as const) {
    it(`${name} stays within its error bound`, () => {
      fc.assert(
        fc.property(blocks, (values) => {
          const restored = dequantize(quantize(values, type), type, 32);
          const bound = maxError(values, type);
          for (let index = 0; index < 32; index++) {
            if (Math.abs(restored[index]! - values[index]!) > bound) return false;
          }
          return true;
        }),
        { numRuns: 500 },
      );
    });
  }

  it('F16 is within half an F16 ulp (relative 2^-11) in its normal range', () => {
    fc.assert(
      fc.property(fc.float({ min: -60000, max: 60000, noNaN: true }), (value) => {
        const restored = dequantize(
          quantize(Float32Array.of(value), GgmlType.F16),
          GgmlType.F16,
          1,
        )[0]!;
        return (
          Math.abs(restored - Math.fround(value)) <= Math.max(Math.abs(value) * 2 ** -11, 2 ** -25)
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('Q8_0 RMS error on a Gaussian-like tensor is about 0.5% of the RMS value (step amax/127, error step/sqrt(12))', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const values = new Float32Array(32 * 512);
    for (let index = 0; index < values.length; index++) {
      values[index] = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    }
    const rms = (array: ArrayLike<number>, other?: ArrayLike<number>) => {
      let sum = 0;
      for (let index = 0; index < array.length; index++)
        sum += (array[index]! - (other?.[index] ?? 0)) ** 2;
      return Math.sqrt(sum / array.length);
    };
    const q8 = dequantize(quantize(values, GgmlType.Q8_0), GgmlType.Q8_0, values.length);
    const q4 = dequantize(quantize(values, GgmlType.Q4_0), GgmlType.Q4_0, values.length);
    expect(rms(values, q8) / rms(values)).toBeLessThan(0.008);
    expect(rms(values, q4) / rms(values)).toBeLessThan(0.12);
  });
});
