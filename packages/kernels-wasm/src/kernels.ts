/**
 * The kernel set both backends implement, over byte offsets into their KernelMemory.
 * Matrices are row-major `rows x cols` in ggml's layouts (q8_0: 34-byte blocks of an f16
 * scale and 32 int8; q4_0: 18-byte blocks of an f16 scale and 16 bytes of nibbles); `n`
 * input vectors are contiguous, outputs are `n x rows`. Quantized matmuls take inputs
 * quantized by `quantizeQ8_0` (int8 values and one float scale per 32), as llama.cpp does.
 *
 * Both backends compute quantized products with the same arithmetic, so they agree to
 * the bit: per block of 32, four exact integer partial dots (value i in partial
 * (i >> 1) & 3) and the float32 scale `f16 weight scale * input scale`; four float32
 * sums over blocks in order of `float32(partial) * scale`; the result
 * `((sum0 + sum1) + sum2) + sum3` in float32.
 */
import type { KernelMemory } from './kernel-memory';

export type KernelBackend = 'wasm-simd' | 'typescript';

export interface Kernels {
  /** Which implementation runs: WASM SIMD128 or the pure TypeScript fallback. */
  readonly backend: KernelBackend;
  readonly memory: KernelMemory;
  matmulF32(w: number, x: number, y: number, rows: number, cols: number, n: number): void;
  /** IEEE half weights (infinities and NaNs in weights are not supported). */
  matmulF16(w: number, x: number, y: number, rows: number, cols: number, n: number): void;
  /**
   * `cols` must be a multiple of 32. `q` gets n*cols int16 (2 bytes each, widened once
   * here rather than once per weight row); `d` gets one float scale per block of 32.
   */
  quantizeQ8_0(x: number, q: number, d: number, cols: number, n: number): void;
  matmulQ8_0(
    w: number,
    q: number,
    d: number,
    y: number,
    rows: number,
    cols: number,
    n: number,
  ): void;
  matmulQ4_0(
    w: number,
    q: number,
    d: number,
    y: number,
    rows: number,
    cols: number,
    n: number,
  ): void;
  /** `n` vectors of `size`: x / sqrt(mean(x^2) + eps) * weight. */
  rmsNorm(x: number, weight: number, out: number, size: number, n: number, eps: number): void;
  /** In place; `table` holds dim/2 cosines then dim/2 sines for one position. */
  rope(x: number, table: number, heads: number, dim: number, neox: boolean): void;
  /** In place. */
  softmax(x: number, size: number): void;
  /** out = silu(gate) * up. */
  siluMul(gate: number, up: number, out: number, size: number): void;
  /** out[c] = sum_r weights[r] * v[r][c]. */
  weightedSum(v: number, weights: number, out: number, rows: number, cols: number): void;
}

/** Bytes of one row of `cols` weights in each dtype. */
export function rowBytes(dtype: 'f32' | 'f16' | 'q8_0' | 'q4_0', cols: number): number {
  switch (dtype) {
    case 'f32':
      return cols * 4;
    case 'f16':
      return cols * 2;
    case 'q8_0':
      return (cols / 32) * 34;
    case 'q4_0':
      return (cols / 32) * 18;
  }
}
