/**
 * @llmr/core — the llmr spec (v1), its errors, and tiny pure helpers. Zero runtime
 * dependencies: every loader, engine, router and server depends on this alone.
 */
export type {
  EngineSessionV1,
  EngineV1,
  EngineV1Capabilities,
  EngineV1SessionOptions,
  TensorV1,
  TensorV1Data,
  TensorV1Type,
} from './engine/v1/engine-v1';
export * from './errors/errors';
export { LlmrError, type LlmrErrorOptions } from './errors/llmr-error';
export type { LoadConfidence, LoaderV1, LoaderV1LoadOptions } from './loader/v1/loader-v1';
export type {
  ModelMiddlewareFactoryV1,
  ModelMiddlewareV1,
  ModelMiddlewareV1CallArguments,
} from './middleware/v1/model-middleware-v1';
export { wrapModel } from './middleware/wrap-model';
export type {
  ModelV1,
  ModelV1Capability,
  ModelV1Info,
  ModelV1Resources,
} from './model/v1/model-v1';
export type {
  ModelV1CallOptions,
  ModelV1ChatCallOptions,
  ModelV1CompletionCallOptions,
  ModelV1SamplingOptions,
} from './model/v1/model-v1-call-options';
export type {
  JSONSchema,
  ModelV1AssistantMessage,
  ModelV1FunctionTool,
  ModelV1Message,
  ModelV1ResponseFormat,
  ModelV1SystemMessage,
  ModelV1ToolCall,
  ModelV1ToolChoice,
  ModelV1ToolMessage,
  ModelV1UserMessage,
} from './model/v1/model-v1-prompt';
export type {
  ModelV1EmbedOptions,
  ModelV1EmbedResult,
  ModelV1FinishReason,
  ModelV1GenerateResult,
  ModelV1Logprob,
  ModelV1StreamPart,
  ModelV1StreamResult,
  ModelV1TokenLogprob,
  ModelV1Usage,
} from './model/v1/model-v1-result';
export {
  createRegistry,
  type EngineSelection,
  type LoaderCandidate,
  type LoaderResolution,
  type Registry,
} from './registry/create-registry';
export {
  detectPlatform,
  detectRuntime,
  type JavaScriptRuntime,
  type PlatformCapabilities,
} from './registry/platform-capabilities';
export {
  type EngineCandidate,
  type EngineDevice,
  type EngineRanking,
  type EngineRow,
  rankEngines,
} from './registry/rank-engines';
export type {
  TokenizerStreamDecoderV1,
  TokenizerV1,
  TokenizerV1ChatTemplateOptions,
  TokenizerV1DecodeOptions,
  TokenizerV1EncodeOptions,
} from './tokenizer/v1/tokenizer-v1';
export { delay, isAbortError, throwIfAborted } from './util/abort';
export {
  apiErrorFromResponse,
  type CallScope,
  createCallScope,
  type ProviderConnection,
  parseRetryAfter,
  postForStream,
  postJSON,
} from './util/api-call';
export { collectStream, iterateStream } from './util/collect-stream';
export {
  type CreateTokenStreamOptions,
  createTokenStream,
  generateTokens,
  type NextToken,
} from './util/create-token-stream';
export { generate, type StreamHandle, stream } from './util/generate';
export { InFlightCalls } from './util/in-flight-calls';
export { normalizeOnnxDtype, ONNX_DTYPE_FILES } from './util/onnx-dtype';
export { createSeededRandom, hashString } from './util/seeded-random';
export {
  MAX_SSE_EVENT_LENGTH,
  MAX_SSE_LINE_LENGTH,
  type SSEEvent,
  SSEParser,
} from './util/sse-parser';
export {
  createSSEPartStream,
  type SSEPartStreamOptions,
  streamCutPart,
} from './util/sse-part-stream';
export { createStopSequenceMatcher, type StopSequenceMatcher } from './util/stop-sequence-matcher';
export { createStreamCollector, type StreamCollector } from './util/stream-collector';
export { streamFromResult } from './util/stream-from-result';
export { createUtf8StreamDecoder, type Utf8StreamDecoder } from './util/utf8-stream-decoder';
export { validateCallOptions } from './util/validate-call-options';
