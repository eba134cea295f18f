/** Server-sent events on a raw Node response, with backpressure. */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ModelV1StreamPart } from '@llmr/core';
import type { FastifyReply } from 'fastify';
import { type ChunkFormatter, type OpenAIChunk, pumpChunks } from './openai/chunks';
import type { OpenAIError } from './openai/errors';
import { DEFAULT_WRITE_STALL_MS, waitOrStall } from './write-stall';

/**
 * Writes one event. Returns a promise only when the socket pushed back: a client that
 * keeps up costs no promise and no microtask per event.
 */
export function writeEvent(
  response: ServerResponse,
  data: unknown,
  event?: string,
  stallMs = DEFAULT_WRITE_STALL_MS,
): Promise<void> | undefined {
  if (response.destroyed || response.writableEnded) return undefined;
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  if (response.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`)) return undefined;
  // Wait for the client to catch up, or for it to go away, or give up on it.
  return waitOrStall(
    Promise.race([once(response, 'drain'), once(response, 'close')]),
    stallMs,
    () => response.destroy(),
  );
}

/** How one API frames its SSE: named events or not, its error event, its end marker. */
export interface SseFraming {
  /** The `event:` name of a chunk (none for OpenAI). */
  event(chunk: OpenAIChunk): string | undefined;
  /** The event that reports a failure mid-stream. */
  error(error: OpenAIError): { event?: string; data: unknown };
  /** A last `data:` line (OpenAI's `[DONE]`), if the API has one. */
  done?: string;
}

export const openAIFraming: SseFraming = {
  event: () => undefined,
  error: (error) => ({ data: error.body }),
  done: '[DONE]',
};

/**
 * Streams the formatter's chunks as SSE, ending with `data: [DONE]` (in OpenAI's framing). Parts are read until
 * the first one that carries content, before any header is sent: a failure that early
 * (all fallbacks spent) still answers a proper status code. After that, a failure travels
 * in the stream as an error event, as OpenAI does it.
 */
export async function sendSse(
  reply: FastifyReply,
  reader: ReadableStreamDefaultReader<ModelV1StreamPart>,
  formatter: ChunkFormatter,
  framing: SseFraming = openAIFraming,
  options: { writeStallMs?: number } = {},
): Promise<void> {
  const stallMs = options.writeStallMs ?? DEFAULT_WRITE_STALL_MS;
  const early: ModelV1StreamPart[] = [];
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.type === 'error') throw value.error;
      early.push(value);
      if (value.type !== 'stream-start') break;
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const { error } = await pumpChunks({
    reader,
    early,
    formatter,
    send: (chunk) => writeEvent(response, chunk, framing.event(chunk), stallMs),
    isOpen: () => !response.destroyed,
  });
  if (error) {
    const event = framing.error(error);
    await writeEvent(response, event.data, event.event, stallMs);
  }
  if (!response.destroyed) {
    if (framing.done !== undefined) await writeEvent(response, framing.done, undefined, stallMs);
    response.end();
  }
}
