/** Anthropic response shapes -> ModelV1 results: stop reasons, usage, error events. */
import { APICallError, type ModelV1FinishReason, type ModelV1Usage } from '@llmr/core';

/** `stop_reason` -> ModelV1's finish reason. */
export function mapStopReason(reason: unknown): ModelV1FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'content-filter';
    default:
      // end_turn, stop_sequence, pause_turn
      return 'stop';
  }
}

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Cache reads and writes are prompt tokens too: Anthropic counts them apart from `input_tokens`. */
export function mapUsage(usage: AnthropicUsage | null | undefined): ModelV1Usage {
  const cacheRead = usage?.cache_read_input_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: (usage?.input_tokens ?? 0) + cacheRead + cacheWrite,
    outputTokens: usage?.output_tokens ?? 0,
    ...(cacheRead > 0 ? { cachedInputTokens: cacheRead } : {}),
  };
}

/** Error types Anthropic documents as transient. */
const retryableTypes = new Set([
  'overloaded_error',
  'api_error',
  'rate_limit_error',
  'timeout_error',
]);

/** An `error` body or SSE event (`{ type: 'error', error: { type, message } }`). */
export function upstreamError(
  url: string,
  error: { type?: string; message?: string } | undefined,
  raw: string,
): APICallError {
  const type = error?.type ?? 'unknown_error';
  return new APICallError({
    url,
    message: `${url} reported ${type}: ${error?.message ?? raw.slice(0, 200)}`,
    responseBody: raw,
    ...(type === 'overloaded_error' ? { statusCode: 529 } : {}),
    isRetryable: retryableTypes.has(type),
  });
}
