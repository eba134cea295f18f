/**
 * @llmr/engine-node — llmr's EngineV1 over onnxruntime-node (a peer dependency, imported
 * lazily on first use).
 */
export {
  createNodeEngine,
  type NodeEngine,
  type NodeEngineSettings,
  nodeEngine,
} from './node-engine';
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
