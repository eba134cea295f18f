/**
 * An upstream's SSE response body -> a ModelV1 part stream, for providers written on
 * fetch. Events are parsed as bytes arrive and turned into parts one pull at a time, so
 * a slow reader slows the upstream read and abort takes effect before the next part.
 * The provider only says what each event means; the stream ends at the first `finish`
 * or `error` part, and a connection that breaks is a retryable APICallError.
 */
import { APICallError, GenerationError } from '../errors/errors';
import { LlmrError } from '../errors/llmr-error';
import type { ModelV1StreamPart } from '../model/v1/model-v1-result';
import type { CallScope } from './api-call';
import { type SSEEvent, SSEParser } from './sse-parser';

export interface SSEPartStreamOptions {
  url: string;
  modelId: string;
  body: ReadableStream<Uint8Array>;
  /** The call's scope: its signal stops the read, and it is closed when the stream ends. */
  scope: CallScope;
  /** One event -> the parts it completes. */
  onEvent(event: SSEEvent): ModelV1StreamPart[];
  /** The body ended without a `finish` or `error` part: the closing parts (a finish, or an error for a cut). */
  onEnd(): ModelV1StreamPart[];
}

const closes = (part: ModelV1StreamPart) => part.type === 'finish' || part.type === 'error';

export function createSSEPartStream(
  options: SSEPartStreamOptions,
): ReadableStream<ModelV1StreamPart> {
  const { url, modelId, scope } = options;
  const reader = options.body.getReader();
  const parser = new SSEParser();
  const queue: ModelV1StreamPart[] = [];
  let ended = false;

  const take = (parts: ModelV1StreamPart[]) => {
    for (const part of parts) {
      if (ended) return;
      queue.push(part);
      if (closes(part)) ended = true;
    }
  };

  const close = () => {
    scope.close();
    void reader.cancel().catch(() => {});
  };

  return new ReadableStream<ModelV1StreamPart>(
    {
      start(controller) {
        controller.enqueue({ type: 'stream-start', metadata: { url } });
      },
      async pull(controller) {
        try {
          while (queue.length === 0 && !ended) {
            if (scope.signal.aborted) throw scope.errorFor(undefined);
            let result: ReadableStreamReadResult<Uint8Array>;
            try {
              result = await reader.read();
            } catch (caught) {
              throw scope.signal.aborted
                ? scope.errorFor(caught)
                : new APICallError({
                    url,
                    isRetryable: true,
                    cause: caught,
                    message: `The connection to ${url} broke mid-stream: ${caught instanceof Error ? caught.message : String(caught)}.`,
                  });
            }
            if (result.done) {
              for (const event of parser.end()) take(options.onEvent(event));
              if (!ended) take(options.onEnd());
              ended = true;
              break;
            }
            for (const event of parser.push(result.value)) take(options.onEvent(event));
          }
          // Abort wins over parts already parsed (even a whole buffered answer): nothing more reaches the caller.
          if (scope.signal.aborted) throw scope.errorFor(undefined);
          const part = queue.shift();
          if (part) controller.enqueue(part);
          if (ended && queue.length === 0) {
            close();
            controller.close();
          }
        } catch (caught) {
          const error = LlmrError.isInstance(caught)
            ? caught
            : new GenerationError({
                modelId,
                message: `Streaming from ${url} failed: ${String(caught)}`,
                cause: caught,
              });
          close();
          controller.enqueue({ type: 'error', error });
          controller.close();
        }
      },
      cancel() {
        close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The error part for a body that ended before its protocol said it was done. */
export function streamCutPart(url: string): ModelV1StreamPart {
  return {
    type: 'error',
    error: new APICallError({
      url,
      isRetryable: true,
      message: `${url} closed the stream before it finished.`,
    }),
  };
}
