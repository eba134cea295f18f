/** How the router classifies a model's stream parts, and the one error for a stream cut short. */
import { GenerationError, type ModelV1StreamPart } from '@llmr/core';

/** Output that reaches the caller: once forwarded, there is no falling back. */
export function isFirstText(part: ModelV1StreamPart): boolean {
  return (
    (part.type === 'text-delta' && part.delta.length > 0) ||
    part.type === 'tool-call-delta' ||
    part.type === 'tool-call'
  );
}

/** Any generated token, even one that completes no text yet (core emits those as empty deltas). */
export function isToken(part: ModelV1StreamPart): boolean {
  return part.type === 'text-delta' || part.type === 'tool-call-delta' || part.type === 'tool-call';
}

/**
 * A model stream that closed early. Retryable: the next try (or the next candidate)
 * may well finish. `missing` says what never came, for the message.
 */
export function streamIncompleteError(
  modelId: string,
  missing: 'first-token' | 'finish',
): GenerationError {
  return new GenerationError({
    modelId,
    code: 'stream-incomplete',
    isRetryable: true,
    message: `The stream of model "${modelId}" ended ${
      missing === 'first-token' ? 'before its first token' : 'without a finish part'
    }.`,
  });
}
