import type { ModelV1ToolCall } from './model-v1-prompt';

/**
 * Why generation ended: `stop` (end of sequence or a stop sequence), `length`
 * (max tokens or context), `tool-calls`, `content-filter`, `error`, `abort`.
 */
export type ModelV1FinishReason =
  | 'stop'
  | 'length'
  | 'tool-calls'
  | 'content-filter'
  | 'error'
  | 'abort';

export interface ModelV1Usage {
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens served from a reused KV cache, when the runtime knows. */
  cachedInputTokens?: number;
}

export interface ModelV1TokenLogprob {
  token: string;
  logprob: number;
  /** UTF-8 bytes of the token, as OpenAI reports them. */
  bytes?: number[];
}

export interface ModelV1Logprob extends ModelV1TokenLogprob {
  topLogprobs: ModelV1TokenLogprob[];
}

export interface ModelV1GenerateResult {
  text: string;
  /** Ids of the generated tokens, in order, when the runtime has a tokenizer. */
  tokens?: number[];
  toolCalls?: ModelV1ToolCall[];
  finishReason: ModelV1FinishReason;
  usage: ModelV1Usage;
  logprobs?: ModelV1Logprob[];
  /**
   * Milliseconds from the call to the first generated token, when the runtime saw it (a
   * local runtime does; a non-streaming upstream call does not). Routers learn time to
   * first token from it without streaming.
   */
  firstTokenMs?: number;
  /** Free-form facts from the runtime (timings, cache hits, which sequence served it). */
  metadata?: Record<string, unknown>;
}

/** Parts of a stream, named noun-verb. A stream ends with `usage` then `finish`, or `error`. */
export type ModelV1StreamPart =
  | { type: 'stream-start'; metadata?: Record<string, unknown> }
  | {
      type: 'text-delta';
      delta: string;
      /** Ids of the tokens that produced this delta (a delta may span several). */
      tokens?: number[];
      logprobs?: ModelV1Logprob[];
    }
  | {
      type: 'tool-call-delta';
      index: number;
      toolCallId: string;
      toolName: string;
      argumentsDelta: string;
    }
  | { type: 'tool-call'; toolCall: ModelV1ToolCall }
  | { type: 'usage'; usage: ModelV1Usage }
  | { type: 'finish'; finishReason: ModelV1FinishReason; metadata?: Record<string, unknown> }
  | { type: 'error'; error: unknown };

export interface ModelV1StreamResult {
  stream: ReadableStream<ModelV1StreamPart>;
}

export interface ModelV1EmbedOptions {
  values: string[];
  abortSignal?: AbortSignal;
}

export interface ModelV1EmbedResult {
  embeddings: number[][];
  usage: { inputTokens: number };
}
