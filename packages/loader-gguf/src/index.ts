/**
 * @llmr/loader-gguf — GGUF models on llama.cpp (through node-llama-cpp, a peer
 * dependency loaded lazily).
 */
export {
  createGgufLoader,
  type GgufLoaderSettings,
  type GgufLoadOptions,
  ggufLoader,
  sourceToPath,
} from './gguf-loader';
export { createGgufModel, SAMPLING_DEFAULTS } from './gguf-model';
export { estimateMemory, formatBytes, type MemoryEstimate } from './memory-estimate';
export { chooseThreads, SINGLE_THREAD_PARAMETERS } from './threads';
export { parseToolCalls, toolCallSchema } from './tool-calls';
