/**
 * @llmr/engine-wasm — llmr's EngineV1 over onnxruntime-web's WebAssembly backend (a peer
 * dependency, imported lazily), in Node and in the browser.
 */

// The shared ONNX Runtime adapter, re-exported so this package's API is unchanged.
export * from '@llmr/engine-ort';
export {
  createWasmEngine,
  type WasmEngine,
  type WasmEngineSettings,
  wasmEngine,
} from './wasm-engine';
