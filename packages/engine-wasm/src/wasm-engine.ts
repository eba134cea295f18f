/**
 * `@llmr/engine-wasm`: ONNX sessions on onnxruntime-web's WebAssembly backend, the same
 * code in Node and in browsers. SIMD is always on (ONNX Runtime Web ships SIMD builds
 * only); threads need cross-origin isolation in a browser (SharedArrayBuffer), so the
 * default is multi-threaded where that is available and one thread elsewhere.
 */
import type { EngineV1SessionOptions } from '@llmr/core';
import {
  createOrtEngine,
  type OrtEngine,
  type OrtModule,
  type OrtModuleSource,
} from '@llmr/engine-ort';

export interface WasmEngineSettings {
  /** Engine name (registry key). Default `onnxruntime-wasm`. */
  name?: string;
  /** The onnxruntime-web module, or a function returning it. Default: `import('onnxruntime-web')`. */
  ort?: OrtModuleSource;
  /**
   * WASM threads (`ort.env.wasm.numThreads`, global to the module). Default: up to 4
   * where SharedArrayBuffer is usable, else 1.
   */
  threads?: number;
  /** Where the .wasm files are served from in a browser (`ort.env.wasm.wasmPaths`). */
  wasmPaths?: string | Record<string, string>;
  /** Run ONNX Runtime in a web worker (`ort.env.wasm.proxy`, browsers only). */
  proxy?: boolean;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Any other ONNX Runtime session options. */
  sessionOptions?: Record<string, unknown>;
}

export type WasmEngine = OrtEngine;

function defaultThreads(): number {
  const isolated =
    typeof SharedArrayBuffer !== 'undefined' &&
    ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ?? true);
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return isolated ? Math.max(1, Math.min(4, cores ?? 1)) : 1;
}

export function createWasmEngine(settings: WasmEngineSettings = {}): WasmEngine {
  const threads = settings.threads ?? defaultThreads();
  return createOrtEngine({
    name: settings.name ?? 'onnxruntime-wasm',
    packageName: 'onnxruntime-web',
    capabilities: {
      device: 'cpu',
      dtypes: ['float32', 'float16', 'int64', 'int32', 'int8', 'uint8', 'bool'],
      threads,
    },
    ort: settings.ort ?? (() => import('onnxruntime-web') as unknown as Promise<OrtModule>),
    configure: (ort) => {
      const wasm = (ort.env as { wasm?: Record<string, unknown> } | undefined)?.wasm;
      if (!wasm) return;
      wasm.numThreads = threads;
      if (settings.wasmPaths !== undefined) wasm.wasmPaths = settings.wasmPaths;
      if (settings.proxy !== undefined) wasm.proxy = settings.proxy;
    },
    sessionOptions: (options: EngineV1SessionOptions) => {
      const {
        threads: _threads,
        graphOptimizationLevel,
        preferredOutputLocation: _location,
        ...rest
      } = options;
      const level = graphOptimizationLevel ?? settings.graphOptimizationLevel;
      return {
        executionProviders: ['wasm'],
        ...(level !== undefined ? { graphOptimizationLevel: level } : {}),
        ...settings.sessionOptions,
        ...rest,
      };
    },
  });
}

/** The default engine: onnxruntime-web's WASM backend. */
export const wasmEngine: WasmEngine = createWasmEngine();
