/**
 * A complete result as a stream: the parts a model would have sent, all at once. Used to
 * replay a cached answer and to serve a buffered middleware's result to a stream caller.
 */
import type { ModelV1GenerateResult, ModelV1StreamPart } from '../model/v1/model-v1-result';

export function streamFromResult(
  result: ModelV1GenerateResult,
  metadata: { start?: Record<string, unknown>; finish?: Record<string, unknown> } = {},
): ReadableStream<ModelV1StreamPart> {
  const parts: ModelV1StreamPart[] = [
    { type: 'stream-start', ...(metadata.start ? { metadata: metadata.start } : {}) },
  ];
  if (result.text.length > 0) {
    parts.push({
      type: 'text-delta',
      delta: result.text,
      ...(result.tokens ? { tokens: result.tokens } : {}),
      ...(result.logprobs ? { logprobs: result.logprobs } : {}),
    });
  }
  for (const toolCall of result.toolCalls ?? []) parts.push({ type: 'tool-call', toolCall });
  parts.push({ type: 'usage', usage: result.usage });
  const finishMetadata = metadata.finish ?? result.metadata;
  parts.push({
    type: 'finish',
    finishReason: result.finishReason,
    ...(finishMetadata ? { metadata: finishMetadata } : {}),
  });
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}
