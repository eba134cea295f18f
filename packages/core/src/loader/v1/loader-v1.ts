import type { EngineV1 } from '../../engine/v1/engine-v1';
import type { ModelV1 } from '../../model/v1/model-v1';

/** How sure a loader is that it can load a source: 0 (no) to 1 (certain). */
export type LoadConfidence = number;

export interface LoaderV1LoadOptions {
  /** Id for the loaded model; defaults to one derived from the source. */
  id?: string;
  /** Engine for loaders that run tensor graphs (ONNX). */
  engine?: EngineV1;
  contextLength?: number;
  threads?: number;
  /**
   * Compute device: `auto` (a GPU when the runtime finds one), `false` or `off` for the
   * CPU, or a backend the loader names (`cuda`, `vulkan`, `metal`, `webgpu`, ...).
   */
  gpu?: 'auto' | 'on' | 'off' | boolean | (string & {});
  abortSignal?: AbortSignal;
  /** Called with progress in [0, 1] while loading. */
  onProgress?: (progress: { loaded: number; total?: number; stage?: string }) => void;
  /** Free-form loader-specific settings. */
  [key: string]: unknown;
}

export interface LoaderV1 {
  readonly specificationVersion: 'v1';
  readonly name: string;
  /**
   * Cheap check: magic bytes, file names, URI scheme. Never loads weights.
   * Returns a confidence and, optionally, why.
   */
  canLoad(source: string): Promise<LoadConfidence | { confidence: LoadConfidence; reason: string }>;
  doLoad(source: string, options?: LoaderV1LoadOptions): Promise<ModelV1>;
}
