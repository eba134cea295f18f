/**
 * Passes a stream through untouched while folding a copy, and hands the complete answer
 * to `onAnswer` once the finish part has gone by (never for a stream that failed).
 * Both caches store streamed answers this way without holding tokens back.
 */
import {
  createStreamCollector,
  type ModelV1GenerateResult,
  type ModelV1StreamPart,
} from '@llmr/core';

export function onCompleteAnswer(
  stream: ReadableStream<ModelV1StreamPart>,
  modelId: string,
  onAnswer: (result: ModelV1GenerateResult) => Promise<void>,
): ReadableStream<ModelV1StreamPart> {
  const collector = createStreamCollector({ modelId });
  let failed = false;
  return stream.pipeThrough(
    new TransformStream<ModelV1StreamPart, ModelV1StreamPart>({
      transform(part, controller) {
        if (part.type === 'error') failed = true;
        else collector.push(part);
        controller.enqueue(part);
        if (part.type === 'finish' && !failed) void onAnswer(collector.result()).catch(() => {});
      },
    }),
  );
}
