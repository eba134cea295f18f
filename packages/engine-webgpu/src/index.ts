/**
 * @llmr/engine-webgpu — llmr's EngineV1 over onnxruntime-web's WebGPU backend (a peer
 * dependency, imported lazily), with outputs kept on the GPU between runs.
 */
export {
  createOrtEngine,
  DEVICE_LOCATION,
  isDeviceTensor,
  type OrtEngine,
  type OrtEngineDefinition,
  type OrtEngineSession,
  type OrtModule,
  type OrtModuleSource,
  type OrtSession,
  type OrtValueMetadata,
} from './ort-engine';
export {
  fromOrtTensor,
  type OrtTensorConstructor,
  type OrtTensorLike,
  toOrtTensor,
} from './ort-tensors';
export {
  createWebGpuEngine,
  type WebGpuEngine,
  type WebGpuEngineSettings,
  webGpuEngine,
} from './webgpu-engine';
