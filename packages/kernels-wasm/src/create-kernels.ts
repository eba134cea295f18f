/**
 * Picks the kernels for this JS runtime: WASM SIMD128 where WebAssembly validates a SIMD
 * instruction, the TypeScript fallback elsewhere. The choice is reported as
 * `kernels.backend` so callers can log or surface it.
 */

import type { KernelBackend, Kernels } from './kernels';
import { createTypescriptKernels } from './typescript-kernels';
import { createWasmKernels } from './wasm-kernels';

export interface CreateKernelsOptions {
  /** Force a backend. Default: `wasm-simd` when supported, else `typescript`. */
  backend?: KernelBackend;
  /** A compiled kernels.wasm (for runtimes that cannot compile bytes at run time). */
  module?: WebAssembly.Module;
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0)))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** True when this runtime has WebAssembly with the SIMD128 proposal. */
export function hasWasmSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

export async function createKernels(options: CreateKernelsOptions = {}): Promise<Kernels> {
  const backend = options.backend ?? (hasWasmSimd() ? 'wasm-simd' : 'typescript');
  return backend === 'wasm-simd' ? createWasmKernels(options.module) : createTypescriptKernels();
}
