/**
 * @llmr/decoder — the generation loop shared by loaders of decoder graphs (ONNX, TF.js):
 * Optimum's KV-cache feeds and outputs over an abstract `session.run(feeds)`, the batching
 * scheduler, and a ModelV1 with sampling, stops, logprobs and JSON-schema masks.
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
  type DecodeItem,
  type DecoderLayout,
  decoderLayout,
  type KvCache,
  KvDecoder,
} from './kv-decoder';
export { loadModelTokenizer } from './load-model-tokenizer';
