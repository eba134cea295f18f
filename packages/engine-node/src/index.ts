/**
 * @llmr/engine-node — llmr's EngineV1 over onnxruntime-node (a peer dependency, imported
 * lazily on first use).
 */

// The shared ONNX Runtime adapter, re-exported so this package's API is unchanged.
export * from '@llmr/engine-ort';
export {
  createNodeEngine,
  type NodeEngine,
  type NodeEngineSettings,
  nodeEngine,
} from './node-engine';
