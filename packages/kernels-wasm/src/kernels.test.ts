import { createSeededRandom } from '@llmr/core';
import { dequantize, GgmlType, quantize } from '@llmr/gguf';
import { describe, expect, it } from 'vitest';
import { createKernels, hasWasmSimd } from './create-kernels';
import type { Kernels } from './kernels';
import { createTypescriptKernels } from './typescript-kernels';

const random = createSeededRandom(11);
const gaussian = (length: number, scale = 1) =>
  Float32Array.from({ length }, () => (random() + random() + random() - 1.5) * 2 * scale);

/** Copies `values` into fresh kernel memory and returns the offset. */
function put(kernels: Kernels, values: Float32Array | Uint8Array): number {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const pointer = kernels.memory.alloc(bytes.byteLength);
  kernels.memory.u8(pointer, bytes.byteLength).set(bytes);
  return pointer;
}

function float16Bytes(values: Float32Array): Uint8Array {
  return quantize(values, GgmlType.F16);
}

const backends: [string, () => Promise<Kernels>][] = [
  ['typescript', async () => createTypescriptKernels()],
  ['wasm-simd', () => createKernels({ backend: 'wasm-simd' })],
];

/** float64 y = W x over dequantized weights: what every matmul should approximate. */
function referenceMatmul(
  weights: Float32Array,
  x: Float32Array,
  rows: number,
  cols: number,
  n: number,
) {
  const out = new Float64Array(rows * n);
  for (let j = 0; j < n; j++)
    for (let row = 0; row < rows; row++) {
      let sum = 0;
      for (let column = 0; column < cols; column++)
        sum += weights[row * cols + column]! * x[j * cols + column]!;
      out[j * rows + row] = sum;
    }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let index = 0; index < expected.length; index++)
    worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('kernel selection', () => {
  it('reports WASM SIMD where WebAssembly has SIMD128, and honours a forced backend', async () => {
    expect(hasWasmSimd()).toBe(true);
    expect((await createKernels()).backend).toBe('wasm-simd');
    expect((await createKernels({ backend: 'typescript' })).backend).toBe('typescript');
  });
});

for (const [name, create] of backends) {
  describe(`${name} kernels`, async () => {
    const kernels = await create();
    const rows = 37;
    const cols = 96;
    const n = 3;
    const weights = gaussian(rows * cols, 0.5);
    const x = gaussian(n * cols);

    it('matmul f32 equals the float64 product', () => {
      const w = put(kernels, weights);
      const input = put(kernels, x);
      const y = kernels.memory.alloc(rows * n * 4);
      kernels.matmulF32(w, input, y, rows, cols, n);
      expectClose(
        kernels.memory.f32(y, rows * n),
        referenceMatmul(weights, x, rows, cols, n),
        1e-4,
      );
    });

    it('matmul f16 equals the product with the rounded weights, odd sizes included', () => {
      const oddCols = 45;
      const small = gaussian(rows * oddCols, 0.5);
      const halves = float16Bytes(small);
      const rounded = dequantize(halves, GgmlType.F16, small.length);
      const input = gaussian(oddCols);
      const y = kernels.memory.alloc(rows * 4);
      kernels.matmulF16(put(kernels, halves), put(kernels, input), y, rows, oddCols, 1);
      expectClose(
        kernels.memory.f32(y, rows),
        referenceMatmul(rounded, input, rows, oddCols, 1),
        1e-4,
      );
    });

    for (const [label, type] of [
      ['q8_0', GgmlType.Q8_0],
      ['q4_0', GgmlType.Q4_0],
    ] as const) {
      it(`matmul ${label} over q8_0 inputs equals the product of the dequantized operands`, () => {
        const blocks = quantize(weights, type);
        const dequantized = dequantize(blocks, type, weights.length);
        const input = put(kernels, x);
        const q = kernels.memory.alloc(n * cols * 2);
        const d = kernels.memory.alloc((n * cols) / 8);
        kernels.quantizeQ8_0(input, q, d, cols, n);
        // The inputs as the kernel sees them: values in -127..127 times their block's scale.
        const values = new Int16Array(kernels.memory.u8(q, n * cols * 2).slice().buffer);
        const scales = kernels.memory.f32(d, (n * cols) / 32).slice();
        expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(127);
        const seen = Float32Array.from(values, (value, index) => value * scales[index >> 5]!);
        expectClose(seen, x, 0.05);
        const y = kernels.memory.alloc(rows * n * 4);
        const matmul = type === GgmlType.Q8_0 ? kernels.matmulQ8_0 : kernels.matmulQ4_0;
        matmul(put(kernels, blocks), q, d, y, rows, cols, n);
        expectClose(
          kernels.memory.f32(y, rows * n),
          referenceMatmul(dequantized, seen, rows, cols, n),
          1e-4,
        );
      });
    }

    it('rmsNorm, rope (both layouts), softmax, siluMul and weightedSum match their definitions', () => {
      const size = 22;
      const values = gaussian(size * 2);
      const gain = gaussian(size);
      const out = kernels.memory.alloc(size * 2 * 4);
      kernels.rmsNorm(put(kernels, values), put(kernels, gain), out, size, 2, 1e-5);
      const expectedNorm = Array.from(values, (value, index) => {
        const row = Math.floor(index / size);
        let sum = 0;
        for (let k = 0; k < size; k++) sum += values[row * size + k]! ** 2;
        return (value / Math.sqrt(sum / size + 1e-5)) * gain[index % size]!;
      });
      expectClose(kernels.memory.f32(out, size * 2), expectedNorm, 1e-5);

      const dim = 12;
      const heads = 2;
      const angles = Array.from(
        { length: dim / 2 },
        (_, index) => 3 * 10000 ** ((-2 * index) / dim),
      );
      const table = Float32Array.from([...angles.map(Math.cos), ...angles.map(Math.sin)]);
      for (const neox of [true, false]) {
        const vector = gaussian(heads * dim);
        const pointer = put(kernels, vector);
        kernels.rope(pointer, put(kernels, table), heads, dim, neox);
        const expected = Array.from(vector);
        for (let head = 0; head < heads; head++)
          for (let index = 0; index < dim / 2; index++) {
            const a = head * dim + (neox ? index : 2 * index);
            const b = head * dim + (neox ? index + dim / 2 : 2 * index + 1);
            const [cos, sin] = [Math.cos(angles[index]!), Math.sin(angles[index]!)];
            expected[a] = vector[a]! * cos - vector[b]! * sin;
            expected[b] = vector[b]! * cos + vector[a]! * sin;
          }
        expectClose(kernels.memory.f32(pointer, heads * dim), expected, 1e-5);
      }

      const logits = gaussian(19, 4);
      const softmax = put(kernels, logits);
      kernels.softmax(softmax, logits.length);
      const total = logits.reduce((sum, value) => sum + Math.exp(value), 0);
      expectClose(
        kernels.memory.f32(softmax, logits.length),
        Array.from(logits, (value) => Math.exp(value) / total),
        1e-6,
      );

      const gate = gaussian(23, 3);
      const up = gaussian(23);
      const activated = kernels.memory.alloc(23 * 4);
      kernels.siluMul(put(kernels, gate), put(kernels, up), activated, 23);
      expectClose(
        kernels.memory.f32(activated, 23),
        Array.from(gate, (value, index) => (value / (1 + Math.exp(-value))) * up[index]!),
        1e-5,
      );

      const v = gaussian(5 * 7);
      const mix = gaussian(5);
      const summed = kernels.memory.alloc(7 * 4);
      kernels.weightedSum(put(kernels, v), put(kernels, mix), summed, 5, 7);
      expectClose(
        kernels.memory.f32(summed, 7),
        Array.from({ length: 7 }, (_, column) =>
          mix.reduce((sum, weight, row) => sum + weight * v[row * 7 + column]!, 0),
        ),
        1e-5,
      );
    });
  });
}

describe('WASM SIMD against the TypeScript kernels', () => {
  it('gives the same q8_0 input quantization and bit-identical quantized products', async () => {
    const wasm = await createKernels({ backend: 'wasm-simd' });
    const typescript = createTypescriptKernels();
    const cols = 256;
    const rows = 19;
    const n = 3;
    // Values on exact halves of the scale test the rounding rule (half away from zero).
    const x = gaussian(n * cols, 2);
    x[0] = 127 / 2;
    x[1] = -2.5 * (127 / 254);
    // ggml's quantizers write -127..127; a file may hold -128, the extreme the int8
    // products must still get exactly.
    const weights8 = quantize(gaussian(rows * cols), GgmlType.Q8_0);
    weights8[2] = 0x80;
    weights8[3 + 34] = 0x80;
    const weights4 = quantize(gaussian(rows * cols), GgmlType.Q4_0);
    const run = (kernels: Kernels) => {
      const q = kernels.memory.alloc(n * cols * 2);
      const d = kernels.memory.alloc((n * cols) / 8);
      kernels.quantizeQ8_0(put(kernels, x), q, d, cols, n);
      const y8 = kernels.memory.alloc(rows * n * 4);
      const y4 = kernels.memory.alloc(rows * n * 4);
      kernels.matmulQ8_0(put(kernels, weights8), q, d, y8, rows, cols, n);
      kernels.matmulQ4_0(put(kernels, weights4), q, d, y4, rows, cols, n);
      return {
        q: Array.from(new Int16Array(kernels.memory.u8(q, n * cols * 2).slice().buffer)),
        d: Array.from(kernels.memory.f32(d, (n * cols) / 32)),
        y8: Array.from(kernels.memory.f32(y8, rows * n)),
        y4: Array.from(kernels.memory.f32(y4, rows * n)),
      };
    };
    const fromWasm = run(wasm);
    const fromTypescript = run(typescript);
    expect(fromWasm.q).toEqual(fromTypescript.q);
    expect(fromWasm.d).toEqual(fromTypescript.d);
    expect(fromWasm.y8).toEqual(fromTypescript.y8);
    expect(fromWasm.y4).toEqual(fromTypescript.y4);
  });
});
