/**
 * @llmr/engine-ort — the ONNX Runtime adapter that llmr's ONNX engines (engine-node,
 * engine-wasm, engine-webgpu) share. It imports no runtime: each engine passes its own.
 */
export {
  type ExecutionProviderOption,
  ExecutionProviderUnavailableError,
  type KnownExecutionProvider,
} from './execution-providers';
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
