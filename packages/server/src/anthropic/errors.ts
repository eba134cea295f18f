/**
 * Anthropic's error shape, `{"type":"error","error":{"type":...,"message":...}}`, from the
 * status and message every failure already has (the server maps failures once, to
 * OpenAI's shape; this only renames the type).
 */
import type { OpenAIError } from '../openai/errors';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function toAnthropicError(error: OpenAIError): AnthropicErrorBody {
  return {
    type: 'error',
    error: { type: anthropicErrorType(error.status), message: error.body.error.message },
  };
}

/** An OpenAI-shaped error payload (from the shared error handler or a refusal) in Anthropic's shape. */
export function rewriteErrorPayload(status: number, payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { error?: { message?: unknown }; type?: unknown };
    if (parsed.type === 'error' || typeof parsed.error?.message !== 'string') return payload;
    return JSON.stringify({
      type: 'error',
      error: { type: anthropicErrorType(status), message: parsed.error.message },
    });
  } catch {
    return payload;
  }
}
