/**
 * `@llmr/engine-webgpu`: ONNX sessions on onnxruntime-web's WebGPU backend, in browsers
 * (and any runtime with `navigator.gpu`). Outputs named in `preferredOutputLocation`
 * stay in GPU buffers between runs: a loader that feeds `present.*` back as
 * `past_key_values.*` never copies the KV cache to the CPU.
 */
/// <reference types="@webgpu/types" />
import type { EngineV1SessionOptions } from '@llmr/core';
import {
  createOrtEngine,
  type OrtEngine,
  type OrtModule,
  type OrtModuleSource,
} from '@llmr/engine-ort';

export interface WebGpuEngineSettings {
  /** Engine name (registry key). Default `onnxruntime-webgpu`. */
  name?: string;
  /** The onnxruntime-web module, or a function returning it. Default: `import('onnxruntime-web/webgpu')`. */
  ort?: OrtModuleSource;
  /** Where the .wasm files are served from (`ort.env.wasm.wasmPaths`). */
  wasmPaths?: string | Record<string, string>;
  /** `ort.env.webgpu.powerPreference`. */
  powerPreference?: 'low-power' | 'high-performance';
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Any other ONNX Runtime session options. */
  sessionOptions?: Record<string, unknown>;
}

export type WebGpuEngine = OrtEngine & {
  /** Why the engine is or is not available here (adapter info, or what is missing). */
  describeAvailability(): Promise<{ available: boolean; reason: string }>;
};

async function probeWebGpu(): Promise<{ available: boolean; reason: string }> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return { available: false, reason: 'navigator.gpu is missing (no WebGPU here)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter)
      return { available: false, reason: 'navigator.gpu.requestAdapter() gave no adapter' };
    const info = adapter.info;
    const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ');
    return { available: true, reason: `WebGPU adapter ${name || '(unnamed)'}` };
  } catch (error) {
    return { available: false, reason: `requestAdapter() failed: ${(error as Error).message}` };
  }
}

export function createWebGpuEngine(settings: WebGpuEngineSettings = {}): WebGpuEngine {
  const engine = createOrtEngine({
    name: settings.name ?? 'onnxruntime-webgpu',
    packageName: 'onnxruntime-web',
    capabilities: {
      device: 'gpu',
      dtypes: ['float32', 'float16', 'int64', 'int32', 'uint8', 'bool'],
    },
    ort: settings.ort ?? (() => import('onnxruntime-web/webgpu') as unknown as Promise<OrtModule>),
    configure: (ort) => {
      const env = ort.env as
        | { wasm?: Record<string, unknown>; webgpu?: Record<string, unknown> }
        | undefined;
      if (env?.wasm && settings.wasmPaths !== undefined) env.wasm.wasmPaths = settings.wasmPaths;
      if (env?.webgpu && settings.powerPreference)
        env.webgpu.powerPreference = settings.powerPreference;
    },
    sessionOptions: (options: EngineV1SessionOptions) => {
      const {
        threads: _threads,
        graphOptimizationLevel,
        preferredOutputLocation,
        ...rest
      } = options;
      const level = graphOptimizationLevel ?? settings.graphOptimizationLevel;
      return {
        executionProviders: ['webgpu'],
        ...(level !== undefined ? { graphOptimizationLevel: level } : {}),
        ...(preferredOutputLocation ? { preferredOutputLocation } : {}),
        ...settings.sessionOptions,
        ...rest,
      };
    },
  });
  const isAvailable = engine.isAvailable;
  return {
    ...engine,
    async isAvailable() {
      return (await probeWebGpu()).available && (await isAvailable());
    },
    async describeAvailability() {
      const probe = await probeWebGpu();
      if (!probe.available) return probe;
      try {
        await engine.runtime();
        return probe;
      } catch (error) {
        return { available: false, reason: (error as Error).message };
      }
    },
  };
}

/** The default engine: onnxruntime-web on WebGPU. */
export const webGpuEngine: WebGpuEngine = createWebGpuEngine();
