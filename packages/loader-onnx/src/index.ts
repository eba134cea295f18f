/**
 * @llmr/loader-onnx — ONNX decoder models (Optimum / transformers.js layout) on any
 * EngineV1: the generation loop with a KV cache, sampling, stop sequences, logprobs,
 * JSON-schema constrained decoding and batching of concurrent requests.
 */

// The dtype table moved to @llmr/core; re-exported so existing imports keep working.
export { ONNX_DTYPE_FILES } from '@llmr/core';
export {
  DecodeScheduler,
  type DecodeSchedulerOptions,
  type DecodeSchedulerStats,
} from './decode-scheduler';
export { selectOnnxEngine } from './engine-selection';
export {
  compileJsonSchema,
  createJsonConstraint,
  createJsonSchemaAutomaton,
  type JsonConstraint,
  type JsonSchemaAutomaton,
  type TokenVocabulary,
  tokenVocabulary,
} from './json-schema/index';
export {
  type DecodeItem,
  type DecoderLayout,
  decoderLayout,
  type KvCache,
  KvDecoder,
} from './kv-decoder';
export { httpFiles, localFiles, type ModelFiles, memoryFiles } from './model-files';
export {
  createOnnxLoader,
  loadOnnxModel,
  type OnnxLoadOptions,
  onnxLoader,
} from './onnx-loader';
export { createOnnxModel, type OnnxModel, type OnnxModelSettings } from './onnx-model';
export {
  createPrng,
  createSampler,
  logSoftmax,
  type SampleOptions,
  type SampleResult,
  type Sampler,
  type SamplerOptions,
  type TokenLogprob,
  topEntries,
} from './sampling/index';
