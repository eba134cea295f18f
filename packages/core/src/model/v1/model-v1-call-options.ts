import type {
  ModelV1FunctionTool,
  ModelV1Message,
  ModelV1ResponseFormat,
  ModelV1ToolChoice,
} from './model-v1-prompt';

/** Sampling settings. Everything is optional; a model uses its defaults for what is missing. */
export interface ModelV1SamplingOptions {
  /** 0 means greedy. */
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  /** Multiplicative penalty on repeated tokens (llama.cpp's repeat_penalty; 1 = off). */
  repetitionPenalty?: number;
  /** OpenAI-style additive penalties. */
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Same seed, same options, same model: same output. */
  seed?: number;
}

interface ModelV1CallOptionsBase extends ModelV1SamplingOptions {
  /** Upper bound on generated tokens. Generation stops at exactly this many. */
  maxTokens?: number;
  /** Generation ends before the first occurrence of any of these; they are not emitted. */
  stopSequences?: string[];
  responseFormat?: ModelV1ResponseFormat;
  tools?: ModelV1FunctionTool[];
  toolChoice?: ModelV1ToolChoice;
  /** Return the log-probability of each generated token, and this many alternatives. */
  logprobs?: boolean;
  topLogprobs?: number;
  abortSignal?: AbortSignal;
  /** Free-form per-plugin settings, keyed by plugin name. */
  providerOptions?: Record<string, Record<string, unknown>>;
}

export interface ModelV1ChatCallOptions extends ModelV1CallOptionsBase {
  messages: ModelV1Message[];
  prompt?: never;
}

export interface ModelV1CompletionCallOptions extends ModelV1CallOptionsBase {
  /** A raw prompt, passed to the model without a chat template. */
  prompt: string;
  messages?: never;
}

export type ModelV1CallOptions = ModelV1ChatCallOptions | ModelV1CompletionCallOptions;
