/**
 * @llmr/convert — model format conversion: Hugging Face (safetensors or PyTorch weights +
 * config + tokenizer) and llama2.c checkpoints -> GGUF, with F32, F16, Q8_0, Q4_0 and K-quant
 * (Q4_K, Q5_K, Q6_K and llama-quantize's Q4_K_M / Q5_K_M mixes) outputs.
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
  hfWeightsKind,
  openHfDirectory,
  openHfWeights,
} from './hf-directory';
export {
  isKQuantDtype,
  K_QUANT_DTYPES,
  type KQuantChoice,
  type KQuantDtype,
  type KQuantTensor,
  kQuantTensorType,
  useMoreBits,
} from './k-quant-mix';
export {
  findLlama2cTokenizer,
  llama2cTokenizerMetadata,
  openLlama2cModel,
} from './llama2c-source';
export {
  type ModelSourceKind,
  modelSourceKind,
  type OpenModelSourceOptions,
  openModelSource,
} from './model-source';
export * from './onnx/index';
export {
  choosePreTokenizer,
  EMBEDDED_TOKENIZER_KEY,
  LLAMA_CPP_PRE_TOKENIZERS,
  PRE_TOKENIZER_PROBE_CORPUS,
  type PreTokenizerProbeOptions,
  type PreTokenizerProbeResult,
  probePreTokenizer,
} from './pre-tokenizer-probe';
export {
  type RopeScalingSpec,
  ropeScalingOf,
  SUPPORTED_ROPE_SCALING,
} from './rope-scaling';
export * from './tfjs/index';
export { TokenType, tokenizerMetadata } from './tokenizer-metadata';
