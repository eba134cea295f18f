/**
 * The read-until-first-token step both generate and stream attempts share: until it
 * returns, every failure throws, so the fallback loop may still try another model.
 */
import type { ModelV1, ModelV1CallOptions, ModelV1StreamPart } from '@llmr/core';
import type { Clock } from '../clock';
import type { AttemptScope } from '../routing/attempt-state';
import { isFirstText, isToken } from './stream-parts';

export interface FirstTokenRead {
  /** The model stream's reader, positioned after `pending`. */
  reader: ReadableStreamDefaultReader<ModelV1StreamPart>;
  /** When the stream was asked for: the start of time to first token. */
  startedAt: number;
  /** Parts read (after `stream-start`), to be handled before reading on. */
  pending: ModelV1StreamPart[];
  /** The model's own `stream-start` metadata, if it sent one. */
  upstreamStart?: Record<string, unknown>;
  /** When the first token arrived; undefined when the stream reached usage or finish with none. */
  firstTokenAt?: number;
  /** The stream closed before any text, usage or finish part: the caller throws `stream-incomplete`. */
  ended: boolean;
}

/** Starts a model stream under the attempt's deadline; a stream that arrives too late is cancelled. */
async function startStream(
  attempt: AttemptScope,
  model: ModelV1,
  options: ModelV1CallOptions,
): Promise<{ stream: ReadableStream<ModelV1StreamPart> }> {
  const starting = model.doStream(options);
  try {
    return await attempt.race(starting);
  } catch (error) {
    starting.then(
      ({ stream }) => stream.cancel().catch(() => {}),
      () => {},
    );
    throw error;
  }
}

/**
 * Starts the model's stream, then reads until the first text (or tool call), usage or finish part. A token that completes
 * no text yet (half a multi-byte character) is still the first token for TTFT, but not
 * a stopping point: no text could reach a caller yet. An `error` part or a failed read
 * cancels the reader and throws.
 */
export async function readFirstToken(
  attempt: AttemptScope,
  model: ModelV1,
  options: ModelV1CallOptions,
  clock: Clock,
): Promise<FirstTokenRead> {
  const startedAt = clock.now();
  const { stream } = await startStream(attempt, model, options);
  const reader = stream.getReader();
  const pending: ModelV1StreamPart[] = [];
  let upstreamStart: Record<string, unknown> | undefined;
  let firstTokenAt: number | undefined;
  try {
    while (true) {
      const { done, value: part } = await attempt.read(reader);
      if (done) return { reader, startedAt, pending, ended: true };
      if (part.type === 'error') throw part.error;
      if (part.type === 'stream-start') {
        upstreamStart = part.metadata;
        continue;
      }
      pending.push(part);
      if (isToken(part) && firstTokenAt === undefined) {
        firstTokenAt = clock.now();
        attempt.firstTokenArrived();
      }
      if (isFirstText(part) || part.type === 'usage' || part.type === 'finish') break;
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  return {
    reader,
    startedAt,
    pending,
    ...(upstreamStart ? { upstreamStart } : {}),
    ...(firstTokenAt !== undefined ? { firstTokenAt } : {}),
    ended: false,
  };
}
