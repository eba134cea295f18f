/**
 * Watches a stream of parts as it passes: time to first text, usage, errors. Feeds
 * metrics and rate limits without changing what the client gets.
 */
import type { ModelV1StreamPart, ModelV1Usage } from '@llmr/core';

export interface StreamObservation {
  firstTextAt?: number;
  usage?: ModelV1Usage;
  failed: boolean;
}

export function observeStream(
  stream: ReadableStream<ModelV1StreamPart>,
  onFirstToken?: () => void,
): {
  stream: ReadableStream<ModelV1StreamPart>;
  observation: StreamObservation;
} {
  const observation: StreamObservation = { failed: false };
  const observed = stream.pipeThrough(
    new TransformStream<ModelV1StreamPart, ModelV1StreamPart>({
      transform(part, controller) {
        if (part.type === 'text-delta' && observation.firstTextAt === undefined) {
          observation.firstTextAt = performance.now();
          onFirstToken?.();
        }
        if (part.type === 'usage') observation.usage = part.usage;
        if (part.type === 'error') observation.failed = true;
        controller.enqueue(part);
      },
    }),
  );
  return { stream: observed, observation };
}
