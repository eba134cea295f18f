/**
 * @llmr/provider-openai — any OpenAI-compatible upstream (OpenAI, vLLM, llama-server,
 * Ollama, another llmr server) as an llmr ModelV1, over fetch and SSE.
 */
/** Kept for compatibility: these now live in @llmr/core, shared with other providers. */
export {
  APICallError as OpenAICompatibleAPICallError,
  MAX_SSE_LINE_LENGTH,
  parseRetryAfter,
  type SSEEvent,
  SSEParser,
} from '@llmr/core';
export { toOpenAIBody, toOpenAIMessages } from './convert-to-openai';
export { mapFinishReason } from './map-openai-response';
export {
  OpenAICompatibleModel,
  type OpenAICompatibleModelSettings,
} from './openai-compatible-model';
export {
  asRouterProvider,
  createOpenAICompatible,
  type OpenAICompatibleProvider,
  type OpenAICompatibleSettings,
  openai,
} from './openai-compatible-provider';
