/**
 * @llmr/engine-webgpu — llmr's EngineV1 over onnxruntime-web's WebGPU backend (a peer
 * dependency, imported lazily), with outputs kept on the GPU between runs.
 */
// The shared ONNX Runtime adapter, re-exported so this package's API is unchanged.
export * from '@llmr/engine-ort';
export {
  createWebGpuEngine,
  type WebGpuEngine,
  type WebGpuEngineSettings,
  webGpuEngine,
} from './webgpu-engine';
