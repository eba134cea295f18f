import { createSeededRandom, InvalidArgumentError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { kQuantInput } from './__fixtures__/k-quant-input';
import { blocksAndValuesHash } from './__fixtures__/reference-hash';
import { dequantize } from './dequantize';
import { GgmlType, ggmlByteSize } from './ggml-type';
import { nearestInt } from './k-quant-search';
import { quantize } from './quantize';

const K_QUANTS = [
  GgmlType.Q2_K,
  GgmlType.Q3_K,
  GgmlType.Q4_K,
  GgmlType.Q5_K,
  GgmlType.Q6_K,
] as const;

/**
 * SHA-256 of what ggml's quantize_row_q{2..6}_K_ref followed by dequantize_row_q{2..6}_K
 * (ggml-quants.c of the llama.cpp release bundled with node-llama-cpp 3.22.1, compiled with
 * gcc -O2 -ffp-contract=off into a program that reads kQuantInput() as raw float32) wrote:
 * the blocks, then the float32 values.
 */
const GGML_REFERENCE: Record<(typeof K_QUANTS)[number], string> = {
  [GgmlType.Q2_K]: 'd877ced4e3f45a4128e543b95e0eb2836161761ccd283aaffaeb862ce00c3201',
  [GgmlType.Q3_K]: 'b86b7d08e123d60298449c74223d205ebfc9c6424774b196f61793897c140855',
  [GgmlType.Q4_K]: '5fb2eed312b47a71b8e58072603da7664fd456358e1e6f3b33f4a54fe542a718',
  [GgmlType.Q5_K]: '1e19ee42655041447ff208cad746a3d0854b8fcc9d17c2f471b1fc4cd83e9995',
  [GgmlType.Q6_K]: 'bf89f8547de77e797fd9b06c706645a6881479b88c439b84b6693f10e24116df',
};

function rootMeanSquareError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index]! - b[index]!) ** 2;
  return Math.sqrt(sum / a.length);
}

describe('K-quants (Q2_K-Q6_K)', () => {
  it('blocks are 84, 110, 144, 176 and 210 bytes per 256 values', () => {
    expect(K_QUANTS.map((type) => ggmlByteSize(type, 256))).toEqual([84, 110, 144, 176, 210]);
    for (const type of K_QUANTS) {
      expect(quantize(new Float32Array(512), type).length).toBe(ggmlByteSize(type, 512));
    }
  });

  it('the bytes and decoded values equal ggml C reference output for the same input', () => {
    const values = kQuantInput();
    for (const type of K_QUANTS) {
      const bytes = quantize(values, type);
      const decoded = dequantize(bytes, type, values.length);
      const hash = blocksAndValuesHash(bytes, decoded);
      expect({ type, hash }).toEqual({ type, hash: GGML_REFERENCE[type] });
    }
  });

  it('nearest_int rounds float32 halves to even, as the 1.5 * 2^23 trick does', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 2.4].map(nearestInt)).toEqual([
      0, 2, 2, 0, -2, -2, 0, 2,
    ]);
  });

  it('more bits give less error on weight-like values', () => {
    const random = createSeededRandom(3);
    const values = Float32Array.from({ length: 256 * 16 }, () => (random() - 0.5) * 0.1);
    const errors = K_QUANTS.map((type) =>
      rootMeanSquareError(values, dequantize(quantize(values, type), type, values.length)),
    );
    for (let index = 1; index < errors.length; index++) {
      expect(errors[index]!).toBeLessThan(errors[index - 1]!);
    }
    // Q6_K keeps 6 bits: its error is well under 1% of the range.
    expect(errors[4]!).toBeLessThan(0.1 * 0.01);
  });

  it('all-zero blocks decode to zeros', () => {
    for (const type of K_QUANTS) {
      const decoded = dequantize(quantize(new Float32Array(256), type), type, 256);
      expect(decoded.every((value) => value === 0)).toBe(true);
    }
  });

  it('refuses counts that are not whole blocks of 256', () => {
    for (const type of K_QUANTS) {
      expect(() => quantize(new Float32Array(255), type)).toThrow(InvalidArgumentError);
      expect(() => quantize(new Float32Array(32), type)).toThrow(/blocks of 256/);
    }
  });
});
