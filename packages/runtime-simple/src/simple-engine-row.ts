/**
 * The simple runtime's row for the engine selector: it runs wherever JavaScript does
 * (WASM SIMD kernels, else the pure-TypeScript ones), on the calling thread, so it is
 * always available and its reason says which kernels it would use.
 */
import { detectPlatform, type EngineRow, type PlatformCapabilities } from '@llmr/core';
import { hasWasmSimd } from '@llmr/kernels-wasm';

export const SIMPLE_ENGINE_NAME = 'runtime-simple';

export function describeSimpleEngine(
  platform: Pick<PlatformCapabilities, 'webAssembly' | 'wasmSimd'>,
): EngineRow {
  const kernels = platform.wasmSimd
    ? 'WASM SIMD128 kernels'
    : platform.webAssembly
      ? 'pure-TypeScript kernels (this WebAssembly lacks SIMD128)'
      : 'pure-TypeScript kernels (no WebAssembly here)';
  return {
    name: SIMPLE_ENGINE_NAME,
    device: 'cpu',
    available: true,
    reason: `${kernels}, on the calling thread`,
  };
}

/** The row for the platform this code runs on. */
export async function simpleEngineRow(): Promise<EngineRow> {
  return describeSimpleEngine({ ...(await detectPlatform()), wasmSimd: hasWasmSimd() });
}
