/**
 * The kernels in plain TypeScript, for runtimes without WebAssembly SIMD and as the
 * reference the WASM kernels are tested against. Same memory layout and the same
 * numerics where it matters (q8_0 input quantization, float64 RMSNorm sums).
 */
import { float16Table, float32ToFloat16Bits } from '@llmr/binary-io';
import { type GrowableMemory, KernelMemory } from './kernel-memory';
import type { Kernels } from './kernels';

/** The most bytes the fallback's ArrayBuffer may grow to. */
const MAX_TYPESCRIPT_MEMORY = 2 ** 32;

/** An ArrayBuffer that grows by copying into a larger one (x1.5 at a time). */
export function arrayBufferMemory(initialBytes = 1 << 20): GrowableMemory {
  let buffer = new ArrayBuffer(initialBytes);
  return {
    get buffer() {
      return buffer;
    },
    maxBytes: MAX_TYPESCRIPT_MEMORY,
    growTo(bytes) {
      const size = Math.min(
        MAX_TYPESCRIPT_MEMORY,
        Math.max(bytes, Math.ceil(buffer.byteLength * 1.5)),
      );
      const grown = new ArrayBuffer(size);
      new Uint8Array(grown).set(new Uint8Array(buffer));
      buffer = grown;
    },
  };
}

export function createTypescriptKernels(
  memory = new KernelMemory(arrayBufferMemory(), 0),
): Kernels {
  const half = float16Table();
  const halfOf = (bits: number) => half[bits]!;
  const views = () => {
    const bytes = memory.allU8();
    return {
      f32: memory.allF32(),
      u8: bytes,
      i8: new Int8Array(bytes.buffer),
      i16: new Int16Array(bytes.buffer, 0, bytes.byteLength >>> 1),
      u16: new Uint16Array(bytes.buffer, 0, bytes.byteLength >>> 1),
    };
  };

  // The exact arithmetic of the WASM kernels (see kernels.ts): per block, four integer
  // partial dots (value i goes to lane (i >> 1) & 3, as i32x4_dot_i16x8 pairs them) and a
  // float32 scale; four float32 sums over blocks; then the lanes added in order.
  // Math.fround after each operation rounds as float32 arithmetic does (double rounding is
  // exact for + and * of float32 values).
  const quantizedMatmul = (
    blockBytes: 34 | 18,
    w: number,
    q: number,
    d: number,
    y: number,
    rows: number,
    cols: number,
    n: number,
  ) => {
    const { f32, u8, i8, i16 } = views();
    const blocks = cols / 32;
    const partial = [0, 0, 0, 0];
    const sums = [0, 0, 0, 0];
    for (let row = 0; row < rows; row++) {
      const rowStart = w + row * blocks * blockBytes;
      for (let j = 0; j < n; j++) {
        const input = (q >>> 1) + j * cols;
        const scales = (d >>> 2) + j * blocks;
        sums.fill(0);
        for (let block = 0; block < blocks; block++) {
          const at = rowStart + block * blockBytes;
          const scale = Math.fround(halfOf(u8[at]! | (u8[at + 1]! << 8)) * f32[scales + block]!);
          const x = input + block * 32;
          partial.fill(0);
          if (blockBytes === 34) {
            for (let index = 0; index < 32; index++)
              partial[(index >> 1) & 3]! += i8[at + 2 + index]! * i16[x + index]!;
          } else {
            for (let index = 0; index < 16; index++) {
              const packed = u8[at + 2 + index]!;
              // Values index and 16 + index share a lane.
              partial[(index >> 1) & 3]! +=
                ((packed & 15) - 8) * i16[x + index]! + ((packed >> 4) - 8) * i16[x + 16 + index]!;
            }
          }
          for (let lane = 0; lane < 4; lane++)
            sums[lane] = Math.fround(sums[lane]! + Math.fround(partial[lane]! * scale));
        }
        f32[(y >>> 2) + j * rows + row] = Math.fround(
          Math.fround(Math.fround(sums[0]! + sums[1]!) + sums[2]!) + sums[3]!,
        );
      }
    }
  };

  return {
    backend: 'typescript',
    memory,
    matmulF32(w, x, y, rows, cols, n) {
      const f32 = memory.allF32();
      for (let row = 0; row < rows; row++) {
        const weights = (w >>> 2) + row * cols;
        for (let j = 0; j < n; j++) {
          const input = (x >>> 2) + j * cols;
          let sum = 0;
          for (let column = 0; column < cols; column++)
            sum += f32[weights + column]! * f32[input + column]!;
          f32[(y >>> 2) + j * rows + row] = sum;
        }
      }
    },
    matmulF16(w, x, y, rows, cols, n) {
      const { f32, u16 } = views();
      for (let row = 0; row < rows; row++) {
        const weights = (w >>> 1) + row * cols;
        for (let j = 0; j < n; j++) {
          const input = (x >>> 2) + j * cols;
          let sum = 0;
          for (let column = 0; column < cols; column++)
            sum += half[u16[weights + column]!]! * f32[input + column]!;
          f32[(y >>> 2) + j * rows + row] = sum;
        }
      }
    },
    quantizeQ8_0(x, q, d, cols, n) {
      const { f32, i16 } = views();
      const blocks = n * (cols / 32);
      for (let block = 0; block < blocks; block++) {
        const values = (x >>> 2) + block * 32;
        let amax = 0;
        for (let index = 0; index < 32; index++)
          amax = Math.max(amax, Math.abs(f32[values + index]!));
        const scale = Math.fround(amax / 127);
        const inverse = scale !== 0 ? Math.fround(1 / scale) : 0;
        for (let index = 0; index < 32; index++) {
          const scaled = Math.fround(f32[values + index]! * inverse);
          // roundf: halves away from zero.
          i16[(q >>> 1) + block * 32 + index] = Math.sign(scaled) * Math.round(Math.abs(scaled));
        }
        f32[(d >>> 2) + block] = halfOf(float32ToFloat16Bits(scale));
      }
    },
    matmulQ8_0(w, q, d, y, rows, cols, n) {
      quantizedMatmul(34, w, q, d, y, rows, cols, n);
    },
    matmulQ4_0(w, q, d, y, rows, cols, n) {
      quantizedMatmul(18, w, q, d, y, rows, cols, n);
    },
    rmsNorm(x, weight, out, size, n, eps) {
      const f32 = memory.allF32();
      for (let j = 0; j < n; j++) {
        const input = (x >>> 2) + j * size;
        const output = (out >>> 2) + j * size;
        let sum = 0;
        for (let index = 0; index < size; index++) {
          const value = f32[input + index]!;
          sum += Math.fround(value * value);
        }
        const scale = Math.fround(
          1 / Math.fround(Math.sqrt(Math.fround(Math.fround(sum / size) + eps))),
        );
        for (let index = 0; index < size; index++)
          f32[output + index] = f32[input + index]! * scale * f32[(weight >>> 2) + index]!;
      }
    },
    rope(x, table, heads, dim, neox) {
      const f32 = memory.allF32();
      const halfDim = dim / 2;
      const cos = table >>> 2;
      const sin = cos + halfDim;
      for (let head = 0; head < heads; head++) {
        const base = (x >>> 2) + head * dim;
        for (let index = 0; index < halfDim; index++) {
          const a = neox ? base + index : base + 2 * index;
          const b = neox ? base + index + halfDim : base + 2 * index + 1;
          const first = f32[a]!;
          const second = f32[b]!;
          f32[a] = first * f32[cos + index]! - second * f32[sin + index]!;
          f32[b] = second * f32[cos + index]! + first * f32[sin + index]!;
        }
      }
    },
    softmax(x, size) {
      const f32 = memory.allF32();
      const start = x >>> 2;
      let max = Number.NEGATIVE_INFINITY;
      for (let index = 0; index < size; index++) max = Math.max(max, f32[start + index]!);
      let sum = 0;
      for (let index = 0; index < size; index++) {
        const value = Math.exp(f32[start + index]! - max);
        f32[start + index] = value;
        sum += value;
      }
      for (let index = 0; index < size; index++) f32[start + index]! /= sum;
    },
    siluMul(gate, up, out, size) {
      const f32 = memory.allF32();
      for (let index = 0; index < size; index++) {
        const g = f32[(gate >>> 2) + index]!;
        f32[(out >>> 2) + index] = (g / (1 + Math.exp(-g))) * f32[(up >>> 2) + index]!;
      }
    },
    weightedSum(v, weights, out, rows, cols) {
      const f32 = memory.allF32();
      const output = out >>> 2;
      for (let column = 0; column < cols; column++) f32[output + column] = 0;
      for (let row = 0; row < rows; row++) {
        const weight = f32[(weights >>> 2) + row]!;
        const values = (v >>> 2) + row * cols;
        for (let column = 0; column < cols; column++)
          f32[output + column]! += weight * f32[values + column]!;
      }
    },
  };
}
