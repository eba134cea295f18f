import { GenerationError } from '../errors/errors';
import type { ModelV1ToolCall } from '../model/v1/model-v1-prompt';
import type {
  ModelV1GenerateResult,
  ModelV1Logprob,
  ModelV1StreamPart,
  ModelV1Usage,
} from '../model/v1/model-v1-result';

/** Iterates a ReadableStream (Node 20's streams are not async-iterable in every lib). */
export async function* iterateStream<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stopping early cancels the producer (and so its generation).
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Folds a stream of parts into the result `doGenerate` would give. An `error` part
 * is thrown. Models can implement `doGenerate` with this over `doStream`.
 */
export async function collectStream(
  stream: ReadableStream<ModelV1StreamPart>,
  { modelId = 'unknown' }: { modelId?: string } = {},
): Promise<ModelV1GenerateResult> {
  let text = '';
  const tokens: number[] = [];
  let sawTokens = false;
  const logprobs: ModelV1Logprob[] = [];
  const toolCalls: ModelV1ToolCall[] = [];
  let usage: ModelV1Usage | undefined;
  let finish: Extract<ModelV1StreamPart, { type: 'finish' }> | undefined;

  for await (const part of iterateStream(stream)) {
    switch (part.type) {
      case 'text-delta':
        text += part.delta;
        if (part.tokens) {
          sawTokens = true;
          tokens.push(...part.tokens);
        }
        if (part.logprobs) logprobs.push(...part.logprobs);
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
      case 'error':
        throw part.error;
      default:
        break;
    }
  }
  if (!finish) {
    throw new GenerationError({
      modelId,
      code: 'stream-incomplete',
      message: `The stream of model "${modelId}" ended without a finish part.`,
    });
  }
  return {
    text,
    ...(sawTokens ? { tokens } : {}),
    ...(toolCalls.length ? { toolCalls } : {}),
    ...(logprobs.length ? { logprobs } : {}),
    finishReason: finish.finishReason,
    usage: usage ?? { inputTokens: 0, outputTokens: sawTokens ? tokens.length : 0 },
    ...(finish.metadata ? { metadata: finish.metadata } : {}),
  };
}
