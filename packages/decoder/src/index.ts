/**
 * @llmr/decoder — the generation loop shared by loaders of decoder graphs (ONNX, TF.js):
 * Optimum's KV-cache feeds and outputs over an abstract `session.run(feeds)`, the batching
 * scheduler, and a ModelV1 with sampling, stops, logprobs and JSON-schema masks over any
 * SequenceStepper (a graph session's KvDecoder, or a runtime's own forward pass).
 */
export {
  DecodeScheduler,
  type DecodeSchedulerOptions,
  type DecodeSchedulerStats,
} from './decode-scheduler';
export {
  createDecoderModel,
  type DecoderModel,
  type DecoderModelSettings,
} from './decoder-model';
export {
  createGenerationModel,
  type GenerationModel,
  type GenerationModelSettings,
} from './generation-model';
export {
  type DecodeItem,
  type DecoderLayout,
  decoderLayout,
  type KvCache,
  KvDecoder,
} from './kv-decoder';
export { loadModelTokenizer } from './load-model-tokenizer';
export type { SequenceStep, SequenceStepper } from './sequence-stepper';
export { yieldOnce } from './yield-once';
