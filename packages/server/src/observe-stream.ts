/**
 * Watches a stream of parts as it passes: time to first text, usage, errors. Feeds
 * metrics and rate limits without changing what the client gets.
 */
import type { ModelV1StreamPart, ModelV1Usage } from '@llmr/core';

export interface StreamObservation {
  firstTextAt?: number;
  usage?: ModelV1Usage;
  /** Text parts seen: about the tokens generated, for a stream that ends without usage. */
  textDeltas: number;
  failed: boolean;
}

export function observeStream(
  stream: ReadableStream<ModelV1StreamPart>,
  onFirstToken?: () => void,
): {
  stream: ReadableStream<ModelV1StreamPart>;
  observation: StreamObservation;
} {
  const observation: StreamObservation = { failed: false, textDeltas: 0 };
  // A pull-through stream rather than pipeThrough(TransformStream): one stream object and
  // one await per part instead of a pipe's writable side and promise chain, on the path
  // every request takes.
  const reader = stream.getReader();
  const observed = new ReadableStream<ModelV1StreamPart>(
    {
      async pull(controller) {
        try {
          const { done, value: part } = await reader.read();
          if (done) return controller.close();
          if (part.type === 'text-delta') {
            observation.textDeltas++;
            if (observation.firstTextAt === undefined) {
              observation.firstTextAt = performance.now();
              onFirstToken?.();
            }
          } else if (part.type === 'usage') observation.usage = part.usage;
          else if (part.type === 'error') observation.failed = true;
          controller.enqueue(part);
        } catch (error) {
          observation.failed = true;
          controller.error(error);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream: observed, observation };
}
