import { createSeededRandom, InvalidArgumentError } from '@llmr/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksAndValuesHash } from './__fixtures__/reference-hash';
import { dequantize } from './dequantize';
import { GgmlType, ggmlByteSize } from './ggml-type';
import { quantize } from './quantize';

const TERNARY = [GgmlType.TQ1_0, GgmlType.TQ2_0] as const;

/**
 * 64 blocks: ternary times 0.37, uniform in [-1, 1], exact halves of the block maximum (the
 * rounding edge) and all-zero blocks.
 */
function mixedBlocks(): Float32Array {
  const random = createSeededRandom(7);
  const values = new Float32Array(256 * 64);
  for (let index = 0; index < values.length; index++) {
    const block = Math.floor(index / 256);
    const uniform = random();
    if (block % 4 === 0) values[index] = (Math.floor(uniform * 3) - 1) * 0.37;
    else if (block % 4 === 1) values[index] = (uniform - 0.5) * 2;
    else if (block % 4 === 2)
      values[index] = [0.5, -0.5, 0.49999997, 1, -1, 0][Math.floor(uniform * 6)]!;
  }
  return values;
}

describe('TQ1_0 / TQ2_0 (ggml ternary types)', () => {
  it('block sizes are 54 and 66 bytes per 256 values (1.6875 and 2.0625 bits a value)', () => {
    expect(ggmlByteSize(GgmlType.TQ1_0, 256)).toBe(54);
    expect(ggmlByteSize(GgmlType.TQ2_0, 256)).toBe(66);
    expect(quantize(new Float32Array(512), GgmlType.TQ1_0).length).toBe(108);
  });

  it('the bytes and decoded values equal ggml C reference output for the same input', () => {
    // SHA-256 of what ggml's quantize_row_tq{1,2}_0_ref followed by dequantize_row_tq{1,2}_0
    // (ggml-quants.c as bundled with node-llama-cpp 3.22, gcc -ffp-contract=off) wrote for
    // mixedBlocks(): the blocks, then the float32 values.
    const expected = {
      [GgmlType.TQ1_0]: '682be48dc6e43709b37b3919ce9f1c056d9d207c1b08367461e22104339dc446',
      [GgmlType.TQ2_0]: 'bb7327d31fc9bc02f53ebf1b0233c4aa2a0c5c4747477346f3bd474d649ef901',
    };
    const values = mixedBlocks();
    for (const type of TERNARY) {
      const bytes = quantize(values, type);
      const decoded = dequantize(bytes, type, values.length);
      expect(blocksAndValuesHash(bytes, decoded)).toBe(expected[type]);
    }
  });

  it('TQ2_0 by hand: trit + 1 in 2-bit fields, byte m holding values m, m+32, m+64, m+96', () => {
    const values = new Float32Array(256);
    values[0] = 1; // byte 0 bits 0-1: 2
    values[32] = -1; // byte 0 bits 2-3: 0
    values[64] = 0; // byte 0 bits 4-5: 1
    values[96] = 1; // byte 0 bits 6-7: 2
    values[128] = -1; // byte 32 bits 0-1: 0
    const bytes = quantize(values, GgmlType.TQ2_0);
    expect(bytes[0]).toBe(2 | (0 << 2) | (1 << 4) | (2 << 6));
    expect(bytes[32]! & 3).toBe(0);
    expect([bytes[64], bytes[65]]).toEqual([0x00, 0x3c]); // d = F16 1.0
  });

  it('TQ1_0 by hand: five trits a byte as ceil(base-3 number * 256 / 243)', () => {
    const values = new Float32Array(256);
    // Byte 0 holds values 0, 32, 64, 96, 128 (first most significant): trits 2,1,1,1,0 -> 2*81+27+9+3 = 201.
    values[0] = 1;
    values[128] = -1;
    const bytes = quantize(values, GgmlType.TQ1_0);
    expect(bytes[0]).toBe(Math.ceil((201 * 256) / 243));
    // A zero block's other bytes: all trits 1 -> 121 -> ceil(121 * 256 / 243) = 128.
    expect(bytes[1]).toBe(128);
    const decoded = dequantize(bytes, GgmlType.TQ1_0, 256);
    expect([decoded[0], decoded[128], decoded[1]]).toEqual([1, -1, 0]);
  });

  it('ternary values times an F16 scale round-trip exactly, block for block', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(-1, 0, 1), { minLength: 512, maxLength: 512 }),
        fc.constantFrom(1, 0.5, 0.037353515625, 3, 65504),
        fc.constantFrom(...TERNARY),
        (trits, scale, type) => {
          const values = Float32Array.from(trits, (trit) => trit * scale);
          const decoded = dequantize(quantize(values, type), type, values.length);
          expect(Array.from(decoded, (value) => value + 0)).toEqual(
            Array.from(values, (value) => value + 0),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('non-ternary values are rounded to the nearest of -d, 0, d', () => {
    const values = new Float32Array(256).fill(0.3);
    values[0] = 1;
    values[1] = -0.6;
    for (const type of TERNARY) {
      const decoded = dequantize(quantize(values, type), type, 256);
      expect([decoded[0], decoded[1], decoded[2]]).toEqual([1, -1, 0]);
    }
  });

  it('refuses counts that are not whole blocks of 256 and short input', () => {
    for (const type of TERNARY) {
      expect(() => quantize(new Float32Array(255), type)).toThrow(InvalidArgumentError);
      expect(() => dequantize(new Uint8Array(10), type, 256)).toThrow(/bytes/);
    }
  });
});
