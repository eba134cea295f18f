/**
 * @llmr/engine-wasm — llmr's EngineV1 over onnxruntime-web's WebAssembly backend (a peer
 * dependency, imported lazily), in Node and in the browser.
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
  createWasmEngine,
  type WasmEngine,
  type WasmEngineSettings,
  wasmEngine,
} from './wasm-engine';
