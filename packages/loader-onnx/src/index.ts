/**
 * @llmr/loader-onnx — ONNX decoder models (Optimum / transformers.js layout) on any
 * EngineV1: the generation loop with a KV cache, sampling, stop sequences, logprobs,
 * JSON-schema constrained decoding and batching of concurrent requests.
 */

// The dtype table moved to @llmr/core; re-exported so existing imports keep working.
export { ONNX_DTYPE_FILES } from '@llmr/core';
// The decode loop moved to @llmr/decoder (TF.js models share it); re-exported so imports keep working.
export {
  type DecodeItem,
  type DecoderLayout,
  DecodeScheduler,
  type DecodeSchedulerOptions,
  type DecodeSchedulerStats,
  decoderLayout,
  type KvCache,
  KvDecoder,
} from '@llmr/decoder';
// The sampler and JSON-schema masks moved to @llmr/sampling; re-exported so imports keep working.
export {
  compileJsonSchema,
  createJsonConstraint,
  createJsonSchemaAutomaton,
  createSampler,
  type JsonConstraint,
  type JsonSchemaAutomaton,
  logSoftmax,
  type SampleOptions,
  type SampleResult,
  type Sampler,
  type SamplerOptions,
  type TokenLogprob,
  type TokenVocabulary,
  tokenVocabulary,
  topEntries,
} from '@llmr/sampling';
export { selectOnnxEngine } from './engine-selection';
export { httpFiles, localFiles, type ModelFiles, memoryFiles } from './model-files';
export {
  createOnnxLoader,
  loadOnnxModel,
  type OnnxLoadOptions,
  onnxLoader,
} from './onnx-loader';
export { createOnnxModel, type OnnxModel, type OnnxModelSettings } from './onnx-model';
