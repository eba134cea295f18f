/**
 * @llmr/convert — model format conversion: Hugging Face (safetensors + config +
 * tokenizer) -> GGUF, with F32, F16, Q8_0 and Q4_0 outputs.
 */
export {
  type ArchitectureSpec,
  architectureOf,
  ggufTensorName,
  permuteQK,
  SUPPORTED_ARCHITECTURES,
} from './architecture';
export {
  type ConvertProgress,
  type ConvertResult,
  type ConvertToGgufOptions,
  convertHfToGguf,
  GGUF_DTYPES,
  type GgufDtype,
  writeHfModelAsGguf,
} from './convert-hf-to-gguf';
export {
  createMemoryTensorSource,
  type HfDirectory,
  type HfTensorSource,
  openHfDirectory,
} from './hf-directory';
export * from './onnx/index';
export { TokenType, tokenizerMetadata } from './tokenizer-metadata';
