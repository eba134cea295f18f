/** OpenAI response shapes -> ModelV1 results: finish reasons, usage, logprobs. */
import type {
  ModelV1FinishReason,
  ModelV1Logprob,
  ModelV1TokenLogprob,
  ModelV1Usage,
} from '@llmr/core';

export function mapFinishReason(reason: unknown): ModelV1FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'stop';
  }
}

export interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

export function mapUsage(usage: OpenAIUsage | null | undefined): ModelV1Usage | undefined {
  if (!usage) return undefined;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return {
    inputTokens: usage.prompt_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
    ...(typeof cached === 'number' ? { cachedInputTokens: cached } : {}),
  };
}

interface ChatLogprob {
  token: string;
  logprob: number;
  bytes?: number[] | null;
  top_logprobs?: { token: string; logprob: number; bytes?: number[] | null }[];
}

const tokenLogprob = (entry: {
  token: string;
  logprob: number;
  bytes?: number[] | null;
}): ModelV1TokenLogprob => ({
  token: entry.token,
  logprob: entry.logprob,
  ...(entry.bytes ? { bytes: entry.bytes } : {}),
});

/** Chat: `choice.logprobs.content[]`. */
export function mapChatLogprobs(
  logprobs: { content?: ChatLogprob[] | null } | null | undefined,
): ModelV1Logprob[] | undefined {
  const content = logprobs?.content;
  if (!content?.length) return undefined;
  return content.map((entry) => ({
    ...tokenLogprob(entry),
    topLogprobs: (entry.top_logprobs ?? []).map(tokenLogprob),
  }));
}

/** Completions: parallel arrays `tokens`, `token_logprobs`, `top_logprobs` (token -> logprob maps). */
export function mapCompletionLogprobs(
  logprobs:
    | {
        tokens?: string[];
        token_logprobs?: (number | null)[];
        top_logprobs?: (Record<string, number> | null)[] | null;
      }
    | null
    | undefined,
): ModelV1Logprob[] | undefined {
  if (!logprobs?.tokens?.length) return undefined;
  return logprobs.tokens.map((token, index) => ({
    token,
    logprob: logprobs.token_logprobs?.[index] ?? 0,
    topLogprobs: Object.entries(logprobs.top_logprobs?.[index] ?? {}).map(
      ([alternative, logprob]) => ({ token: alternative, logprob }),
    ),
  }));
}
