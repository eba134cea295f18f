/**
 * The push-style twin of `collectStream`, for code that already reads a stream part by
 * part (a router forwarding parts to its caller, a fallback loop that must see the first
 * token itself) and wants the same `doGenerate` result at the end without a second pass.
 */
import { GenerationError } from '../errors/errors';
import type { ModelV1ToolCall } from '../model/v1/model-v1-prompt';
import type {
  ModelV1GenerateResult,
  ModelV1Logprob,
  ModelV1StreamPart,
  ModelV1Usage,
} from '../model/v1/model-v1-result';

export interface StreamCollector {
  /** Folds one part in. `error` parts are the reader's to handle, and are ignored here. */
  push(part: ModelV1StreamPart): void;
  /** The result so far; throws `stream-incomplete` when no `finish` part was pushed. */
  result(): ModelV1GenerateResult;
}

export function createStreamCollector({
  modelId = 'unknown',
}: {
  modelId?: string;
} = {}): StreamCollector {
  let text = '';
  const tokens: number[] = [];
  let sawTokens = false;
  const logprobs: ModelV1Logprob[] = [];
  const toolCalls: ModelV1ToolCall[] = [];
  let usage: ModelV1Usage | undefined;
  let finish: Extract<ModelV1StreamPart, { type: 'finish' }> | undefined;
  return {
    push(part) {
      switch (part.type) {
        case 'text-delta':
          text += part.delta;
          if (part.tokens) {
            sawTokens = true;
            // A loop, not push(...spread): a long delta would overflow the call stack.
            for (const token of part.tokens) tokens.push(token);
          }
          if (part.logprobs) for (const logprob of part.logprobs) logprobs.push(logprob);
          break;
        case 'tool-call':
          toolCalls.push(part.toolCall);
          break;
        case 'usage':
          usage = part.usage;
          break;
        case 'finish':
          finish = part;
          break;
        default:
          break;
      }
    },
    result() {
      if (!finish) {
        throw new GenerationError({
          modelId,
          code: 'stream-incomplete',
          message: `The stream of model "${modelId}" ended without a finish part.`,
        });
      }
      return {
        text,
        ...(sawTokens ? { tokens: [...tokens] } : {}),
        ...(toolCalls.length ? { toolCalls: [...toolCalls] } : {}),
        ...(logprobs.length ? { logprobs: [...logprobs] } : {}),
        finishReason: finish.finishReason,
        usage: usage ?? { inputTokens: 0, outputTokens: sawTokens ? tokens.length : 0 },
        ...(finish.metadata ? { metadata: finish.metadata } : {}),
      };
    },
  };
}
