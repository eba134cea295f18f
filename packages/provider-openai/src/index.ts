/**
 * @llmr/provider-openai — any OpenAI-compatible upstream (OpenAI, vLLM, llama-server,
 * Ollama, another llmr server) as an llmr ModelV1, over fetch and SSE.
 */
export { type OpenAICompatibleAPICallError, parseRetryAfter } from './api-call';
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
export { MAX_SSE_LINE_LENGTH, type SSEEvent, SSEParser } from './sse-parser';
