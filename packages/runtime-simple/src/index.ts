/**
 * @llmr/runtime-simple — Llama-family decoders (Llama, Mistral, Qwen2, Qwen3) from GGUF
 * (F32, F16, Q8_0, Q4_0; other types requantized) or Hugging Face safetensors, on
 * @llmr/kernels-wasm: no native dependency, runs wherever JavaScript and WebAssembly do.
 */
export { type DecoderConfig, decoderConfigFromGguf, decoderConfigFromHf } from './decoder-config';
export { DecoderForward, type ForwardRow, type SequenceCache } from './decoder-forward';
export {
  type DecoderWeights,
  loadDecoderWeights,
  type Matrix,
  type Vector,
  type WeightDtype,
} from './decoder-weights';
export {
  describeSimpleEngine,
  SIMPLE_ENGINE_NAME,
  simpleEngineRow,
} from './simple-engine-row';
export {
  createSimpleLoader,
  loadSimpleGguf,
  loadSimpleHfDirectory,
  type SimpleLoaderSettings,
  type SimpleLoadOptions,
  simpleLoader,
} from './simple-loader';
export {
  createSimpleModel,
  type SimpleModel,
  type SimpleModelMemory,
  type SimpleModelSettings,
} from './simple-model';
export { SimpleStepper } from './simple-stepper';
export {
  ggufTensorSource,
  type RawTensor,
  type StorageKind,
  safetensorsTensorSource,
  type TensorSource,
} from './tensor-source';
