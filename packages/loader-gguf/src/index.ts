/**
 * @llmr/loader-gguf — GGUF models on llama.cpp (through node-llama-cpp, a peer
 * dependency loaded lazily).
 */
export {
  createGgufLoader,
  type GgufLoader,
  type GgufLoaderSettings,
  type GgufLoadOptions,
  ggufLoader,
  sourceToPath,
} from './gguf-loader';
export { createGgufModel, type GgufModel, SAMPLING_DEFAULTS } from './gguf-model';
export {
  type GgufBackend,
  type GgufGpu,
  type GgufGpuLayers,
  parseGpuLayers,
  parseGpuOption,
} from './gpu-options';
export { estimateMemory, formatBytes, type MemoryEstimate } from './memory-estimate';
export { residentMemory } from './resident-memory';
export type { SessionSwapOptions, SessionSwapStats } from './session-swap';
export { chooseThreads, SINGLE_THREAD_PARAMETERS } from './threads';
export { parseToolCalls, toolCallSchema } from './tool-calls';
