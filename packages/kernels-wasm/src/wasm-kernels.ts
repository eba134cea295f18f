/**
 * The WASM SIMD128 kernels (rust/kernels.rs): instantiated from the embedded bytes or
 * from a module the host compiled (runtimes that forbid compiling bytes at run time,
 * such as Cloudflare Workers, import the .wasm file as a module instead). Exports are
 * called directly; there is no bindings generator in between.
 */
import { LoadError } from '@llmr/core';
import { type GrowableMemory, KernelMemory } from './kernel-memory';
import type { Kernels } from './kernels';
import { KERNELS_WASM_BASE64 } from './kernels-wasm-bytes';

const PAGE_BYTES = 65_536;
const MAX_PAGES = 65_536;

interface KernelExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  matmul_f32(w: number, x: number, y: number, rows: number, cols: number, n: number): void;
  matmul_f16(w: number, x: number, y: number, rows: number, cols: number, n: number): void;
  quantize_q8_0(x: number, q: number, d: number, cols: number, n: number): void;
  matmul_q8_0(
    w: number,
    q: number,
    d: number,
    y: number,
    rows: number,
    cols: number,
    n: number,
  ): void;
  matmul_q4_0(
    w: number,
    q: number,
    d: number,
    y: number,
    rows: number,
    cols: number,
    n: number,
  ): void;
  rms_norm(x: number, weight: number, out: number, size: number, n: number, eps: number): void;
  rope(x: number, table: number, heads: number, dim: number, neox: number): void;
  softmax(x: number, size: number): void;
  silu_mul(gate: number, up: number, out: number, size: number): void;
  weighted_sum(v: number, weights: number, out: number, rows: number, cols: number): void;
}

/** The embedded kernels.wasm bytes. */
export function kernelsWasmBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index);
  return bytes;
}

function wasmMemory(memory: WebAssembly.Memory): GrowableMemory {
  return {
    get buffer() {
      return memory.buffer as ArrayBuffer;
    },
    maxBytes: MAX_PAGES * PAGE_BYTES,
    growTo(bytes) {
      const pages = Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES);
      if (pages <= 0) return;
      // Grow in steps of at least 1/8 of the memory, so many small allocations stay cheap.
      const step = Math.max(pages, Math.ceil(memory.buffer.byteLength / PAGE_BYTES / 8));
      const current = memory.buffer.byteLength / PAGE_BYTES;
      memory.grow(Math.min(step, MAX_PAGES - current));
    },
  };
}

/** Instantiates the WASM kernels. `module`: a compiled kernels.wasm to use instead of the embedded bytes. */
export async function createWasmKernels(module?: WebAssembly.Module): Promise<Kernels> {
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(
      module ?? (await WebAssembly.compile(kernelsWasmBytes())),
      {},
    );
  } catch (error) {
    throw new LoadError({
      source: 'kernels.wasm',
      code: 'kernels-wasm-unavailable',
      message: `Cannot instantiate the WASM SIMD kernels: ${(error as Error).message}. The runtime needs WebAssembly with SIMD128 (Node 16.4+, current browsers); use the TypeScript kernels (createKernels({ backend: 'typescript' })) otherwise.`,
      cause: error,
    });
  }
  const exports = instance.exports as unknown as KernelExports;
  const memory = new KernelMemory(wasmMemory(exports.memory), Number(exports.__heap_base.value));
  return {
    backend: 'wasm-simd',
    memory,
    matmulF32: (w, x, y, rows, cols, n) => exports.matmul_f32(w, x, y, rows, cols, n),
    matmulF16: (w, x, y, rows, cols, n) => exports.matmul_f16(w, x, y, rows, cols, n),
    quantizeQ8_0: (x, q, d, cols, n) => exports.quantize_q8_0(x, q, d, cols, n),
    matmulQ8_0: (w, q, d, y, rows, cols, n) => exports.matmul_q8_0(w, q, d, y, rows, cols, n),
    matmulQ4_0: (w, q, d, y, rows, cols, n) => exports.matmul_q4_0(w, q, d, y, rows, cols, n),
    rmsNorm: (x, weight, out, size, n, eps) => exports.rms_norm(x, weight, out, size, n, eps),
    rope: (x, table, heads, dim, neox) => exports.rope(x, table, heads, dim, neox ? 1 : 0),
    softmax: (x, size) => exports.softmax(x, size),
    siluMul: (gate, up, out, size) => exports.silu_mul(gate, up, out, size),
    weightedSum: (v, weights, out, rows, cols) => exports.weighted_sum(v, weights, out, rows, cols),
  };
}
