/**
 * `@llmr/engine-node`: ONNX sessions on onnxruntime-node (native CPU kernels, MLAS).
 * Threads, graph optimization level and any other ONNX Runtime session option can be
 * set per engine and per session.
 */
import type { EngineV1SessionOptions } from '@llmr/core';
import {
  createOrtEngine,
  type KnownExecutionProvider,
  type OrtEngine,
  type OrtModule,
  type OrtModuleSource,
} from '@llmr/engine-ort';

export interface NodeEngineSettings {
  /** Engine name (registry key). Default `onnxruntime-node`. */
  name?: string;
  /** The onnxruntime-node module, or a function returning it. Default: `import('onnxruntime-node')`. */
  ort?: OrtModuleSource;
  /** Intra-op threads. Default: ONNX Runtime's choice (physical cores). */
  threads?: number;
  /** Inter-op threads (parallel execution mode only). */
  interOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * The device: `cpu` (default), `cuda` (NVIDIA; onnxruntime-node downloads its CUDA files
   * at install only when asked to), `webgpu`, or another provider the runtime lists. One it
   * lacks is refused with `execution-provider-unavailable` when a session is created.
   */
  executionProvider?: 'cpu' | 'cuda' | 'webgpu' | (string & {});
  /** Execution providers in full (names or objects with settings); wins over `executionProvider`. */
  executionProviders?: readonly (string | Record<string, unknown>)[];
  /** Any other ONNX Runtime session options (enableCpuMemArena, executionMode, ...). */
  sessionOptions?: Record<string, unknown>;
}

export type NodeEngine = OrtEngine;

export function createNodeEngine(settings: NodeEngineSettings = {}): NodeEngine {
  return createOrtEngine({
    name: settings.name ?? 'onnxruntime-node',
    packageName: 'onnxruntime-node',
    capabilities: {
      device:
        settings.executionProvider === undefined || settings.executionProvider === 'cpu'
          ? 'cpu'
          : 'gpu',
      dtypes: ['float32', 'float16', 'int64', 'int32', 'int8', 'uint8', 'bool'],
      ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
    },
    ort: settings.ort ?? (() => import('onnxruntime-node') as unknown as Promise<OrtModule>),
    executionProviders: (ort) =>
      (ort as { listSupportedBackends?: () => KnownExecutionProvider[] }).listSupportedBackends?.(),
    sessionOptions: (options: EngineV1SessionOptions) => {
      const {
        threads,
        graphOptimizationLevel,
        preferredOutputLocation: _ignored,
        ...rest
      } = options;
      const intraOpNumThreads = threads ?? settings.threads;
      const level = graphOptimizationLevel ?? settings.graphOptimizationLevel;
      return {
        executionProviders: settings.executionProviders ?? [settings.executionProvider ?? 'cpu'],
        ...(intraOpNumThreads !== undefined ? { intraOpNumThreads } : {}),
        ...(settings.interOpThreads !== undefined
          ? { interOpNumThreads: settings.interOpThreads }
          : {}),
        ...(level !== undefined ? { graphOptimizationLevel: level } : {}),
        ...settings.sessionOptions,
        ...rest,
      };
    },
  });
}

/** The default engine: onnxruntime-node on the CPU with ONNX Runtime's defaults. */
export const nodeEngine: NodeEngine = createNodeEngine();
