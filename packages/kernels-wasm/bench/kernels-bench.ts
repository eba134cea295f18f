/**
 * Each kernel's throughput on WASM SIMD128 against the pure TypeScript fallback, in the
 * same run: GB/s of bytes the kernel must read (weights for matmuls; inputs and outputs
 * for the rest) per second of CPU time, best of several runs, and the speedup (target:
 * 4x or more).
 *
 *   pnpm --filter @llmr/kernels-wasm bench
 */
import { createSeededRandom } from '@llmr/core';
import { GgmlType, quantize } from '@llmr/gguf';
import { createKernels, createTypescriptKernels, type Kernels } from '../src/index';

// Matrices larger than the caches, as in decoding: the weights stream from memory.
const ROWS = 8192;
const COLS = 2048;
const random = createSeededRandom(1);
const values = (length: number) => Float32Array.from({ length }, () => random() * 2 - 1);
const weightsF32 = values(ROWS * COLS);
const stored = {
  f32: new Uint8Array(weightsF32.buffer),
  f16: quantize(weightsF32, GgmlType.F16),
  q8_0: quantize(weightsF32, GgmlType.Q8_0),
  q4_0: quantize(weightsF32, GgmlType.Q4_0),
};

interface Case {
  kernel: string;
  bytes: number;
  run: () => void;
}

function cases(kernels: Kernels): Case[] {
  const memory = kernels.memory;
  const put = (bytes: Uint8Array) => {
    const pointer = memory.alloc(bytes.byteLength);
    memory.u8(pointer, bytes.byteLength).set(bytes);
    return pointer;
  };
  const x = put(new Uint8Array(values(COLS).buffer));
  const y = memory.alloc(ROWS * 4);
  const size = 8192;
  // Room for the quantize case (size values), which the matmul cases' one input also fits.
  const q = memory.alloc(size * 2);
  const d = memory.alloc(size / 8);
  const w = Object.fromEntries(
    Object.entries(stored).map(([dtype, bytes]) => [dtype, put(bytes)]),
  ) as Record<keyof typeof stored, number>;
  const a = put(new Uint8Array(values(size).buffer));
  const b = put(new Uint8Array(values(size).buffer));
  const out = memory.alloc(size * 4);
  const dim = 128;
  const heads = size / dim;
  const table = put(new Uint8Array(values(dim).buffer));
  const positions = 2048;
  const keys = put(new Uint8Array(values(positions * dim).buffer));
  const scores = put(new Uint8Array(values(positions).buffer));
  return [
    {
      kernel: 'matmul f32',
      bytes: stored.f32.byteLength,
      run: () => kernels.matmulF32(w.f32, x, y, ROWS, COLS, 1),
    },
    {
      kernel: 'matmul f16',
      bytes: stored.f16.byteLength,
      run: () => kernels.matmulF16(w.f16, x, y, ROWS, COLS, 1),
    },
    {
      kernel: 'matmul q8_0',
      bytes: stored.q8_0.byteLength,
      run: () => {
        kernels.quantizeQ8_0(x, q, d, COLS, 1);
        kernels.matmulQ8_0(w.q8_0, q, d, y, ROWS, COLS, 1);
      },
    },
    {
      kernel: 'matmul q4_0',
      bytes: stored.q4_0.byteLength,
      run: () => {
        kernels.quantizeQ8_0(x, q, d, COLS, 1);
        kernels.matmulQ4_0(w.q4_0, q, d, y, ROWS, COLS, 1);
      },
    },
    {
      kernel: 'quantize q8_0',
      bytes: size * 6.25,
      run: () => kernels.quantizeQ8_0(a, q, d, COLS, size / COLS),
    },
    { kernel: 'rmsNorm', bytes: size * 12, run: () => kernels.rmsNorm(a, b, out, size, 1, 1e-5) },
    {
      kernel: 'rope (neox)',
      bytes: size * 8,
      run: () => kernels.rope(out, table, heads, dim, true),
    },
    { kernel: 'softmax', bytes: positions * 8, run: () => kernels.softmax(scores, positions) },
    { kernel: 'siluMul', bytes: size * 12, run: () => kernels.siluMul(a, b, out, size) },
    {
      kernel: 'attention scores + weighted sum',
      bytes: positions * dim * 8,
      run: () => {
        kernels.matmulF32(keys, a, scores, positions, dim, 1);
        kernels.weightedSum(keys, scores, out, positions, dim);
      },
    },
  ];
}

/** CPU seconds (user + system) since `start`: wall time on a loaded machine measures the wait for a core. */
const cpuSeconds = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/** GB/s of CPU time, best of 7 timed batches after a warm-up, each batch at least ~20 ms. */
function measure(testCase: Case): number {
  testCase.run();
  let repeats = 1;
  for (;;) {
    const start = process.cpuUsage();
    for (let index = 0; index < repeats; index++) testCase.run();
    if (cpuSeconds(start) > 0.02) break;
    repeats *= 2;
  }
  let best = 0;
  for (let batch = 0; batch < 7; batch++) {
    const start = process.cpuUsage();
    for (let index = 0; index < repeats; index++) testCase.run();
    best = Math.max(best, (testCase.bytes * repeats) / cpuSeconds(start) / 1e9);
  }
  return best;
}

const wasm = await createKernels({ backend: 'wasm-simd' });
const typescript = createTypescriptKernels();
const simdCases = cases(wasm);
const typescriptCases = cases(typescript);
const rows = simdCases.map((testCase, index) => {
  const simd = measure(testCase);
  const plain = measure(typescriptCases[index]!);
  return {
    kernel: testCase.kernel,
    'wasm-simd GB/s': Number(simd.toFixed(2)),
    'typescript GB/s': Number(plain.toFixed(2)),
    speedup: Number((simd / plain).toFixed(1)),
  };
});
console.table(rows);
const matmuls = rows.filter((row) => row.kernel.startsWith('matmul'));
console.log(
  JSON.stringify({
    bench: 'kernels-wasm',
    clock: 'cpu',
    backend: wasm.backend,
    shape: { rows: ROWS, cols: COLS },
    kernels: rows,
    minMatmulSpeedup: Math.min(...matmuls.map((row) => row.speedup)),
    minSpeedup: Math.min(...rows.map((row) => row.speedup)),
  }),
);
