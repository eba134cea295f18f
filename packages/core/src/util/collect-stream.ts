import type { ModelV1GenerateResult, ModelV1StreamPart } from '../model/v1/model-v1-result';
import { createStreamCollector } from './stream-collector';

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
  const collector = createStreamCollector({ modelId });
  for await (const part of iterateStream(stream)) {
    if (part.type === 'error') throw part.error;
    collector.push(part);
  }
  return collector.result();
}
