/**
 * The JSON messages of llmr's WebSocket endpoint (`GET /v1/ws`). Each request has a client
 * id; every reply names it, so several requests can share one socket.
 */
import type { OpenAIChunk } from '../openai/chunks';
import type { openAIUsage } from '../openai/convert';
import type { OpenAIError } from '../openai/errors';
import type { ChatCompletionBody, CompletionBody } from '../openai/schemas';
import type { RoutingSummary } from '../routing';

/** Client -> server. `body` is exactly the REST body; `stream` is ignored (always streamed). */
export type WebSocketClientMessage =
  | { type: 'chat.completions'; id: string; body: ChatCompletionBody }
  | { type: 'completions'; id: string; body: CompletionBody }
  /** Stops the request with this id; it ends with an `error` message, status 499. */
  | { type: 'cancel'; id: string };

/** Server -> client. */
export type WebSocketServerMessage =
  /** The object SSE would send as `data:` for this request. */
  | { id: string; type: 'chunk'; chunk: OpenAIChunk }
  /** The request finished; nothing more comes for this id. */
  | {
      id: string;
      type: 'done';
      usage?: ReturnType<typeof openAIUsage>;
      routing: RoutingSummary;
    }
  /**
   * The request failed, was cancelled, or the message was refused; nothing more comes for
   * this id. `id` is null when the message cannot be tied to a request of its own: bad
   * JSON, no id, or an id that is still running (the running request goes on). `status` is the HTTP status
   * REST would have answered; `retry_after` (seconds) comes with 429 and 503.
   */
  | {
      id: string | null;
      type: 'error';
      error: OpenAIError['body']['error'];
      status: number;
      retry_after?: number;
    };

export const WEBSOCKET_REQUEST_TYPES = {
  'chat.completions': 'chat',
  completions: 'completion',
} as const;
