/**
 * Watches the parts of a stream as they are read: time to first text, usage, errors.
 * Feeds metrics and rate limits without changing what the client gets.
 */
import type { ModelV1StreamPart, ModelV1Usage } from '@llmr/core';

export interface StreamObservation {
  firstTextAt?: number;
  usage?: ModelV1Usage;
  /** Text parts seen: about the tokens generated, for a stream that ends without usage. */
  textDeltas: number;
  failed: boolean;
}

/**
 * A reader over `stream` that observes each part as it is read. A reader rather than a
 * stream: a wrapping ReadableStream is one more queue, pull and promise chain per part
 * between the model and the socket, on the path every streamed token takes.
 */
export function observeReader(
  stream: ReadableStream<ModelV1StreamPart>,
  onFirstToken?: () => void,
): {
  reader: ReadableStreamDefaultReader<ModelV1StreamPart>;
  observation: StreamObservation;
} {
  const observation: StreamObservation = { failed: false, textDeltas: 0 };
  const inner = stream.getReader();
  const observe = (result: ReadableStreamReadResult<ModelV1StreamPart>) => {
    if (result.done) return result;
    const part = result.value;
    if (part.type === 'text-delta') {
      observation.textDeltas++;
      if (observation.firstTextAt === undefined) {
        observation.firstTextAt = performance.now();
        onFirstToken?.();
      }
    } else if (part.type === 'usage') observation.usage = part.usage;
    else if (part.type === 'error') observation.failed = true;
    return result;
  };
  const fail = (error: unknown): never => {
    observation.failed = true;
    throw error;
  };
  const reader: ReadableStreamDefaultReader<ModelV1StreamPart> = {
    read: () => inner.read().then(observe, fail),
    cancel: (reason) => inner.cancel(reason),
    releaseLock: () => inner.releaseLock(),
    get closed() {
      return inner.closed;
    },
  };
  return { reader, observation };
}

/** The observed parts as a stream again, for consumers that take one (collectors, gRPC). */
export function readerStream(
  reader: ReadableStreamDefaultReader<ModelV1StreamPart>,
): ReadableStream<ModelV1StreamPart> {
  return new ReadableStream<ModelV1StreamPart>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
