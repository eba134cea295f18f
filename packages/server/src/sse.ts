/** Server-sent events on a raw Node response, with backpressure. */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ModelV1StreamPart } from '@llmr/core';
import type { FastifyReply } from 'fastify';
import { type ChunkFormatter, pumpChunks } from './openai/chunks';

/**
 * How long a write may wait for a client that stopped reading. Past it the connection is
 * closed, which aborts the generation and frees its model sequence: a client must not
 * hold a model by not reading.
 */
export const DEFAULT_WRITE_STALL_MS = 30_000;

export async function writeEvent(
  response: ServerResponse,
  data: unknown,
  stallMs = DEFAULT_WRITE_STALL_MS,
): Promise<void> {
  if (response.destroyed || response.writableEnded) return;
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  if (!response.write(`data: ${payload}\n\n`)) {
    // Wait for the client to catch up, or for it to go away, or give up on it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        response.destroy();
        resolve();
      }, stallMs);
    });
    await Promise.race([once(response, 'drain'), once(response, 'close'), stalled]);
    clearTimeout(timer);
  }
}

/**
 * Streams the formatter's chunks as SSE, ending with `data: [DONE]`. Parts are read until
 * the first one that carries content, before any header is sent: a failure that early
 * (all fallbacks spent) still answers a proper status code. After that, a failure travels
 * in the stream as an error event, as OpenAI does it.
 */
export async function sendSse(
  reply: FastifyReply,
  stream: ReadableStream<ModelV1StreamPart>,
  formatter: ChunkFormatter,
  options: { writeStallMs?: number } = {},
): Promise<void> {
  const stallMs = options.writeStallMs ?? DEFAULT_WRITE_STALL_MS;
  const reader = stream.getReader();
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
    send: (chunk) => writeEvent(response, chunk, stallMs),
    isOpen: () => !response.destroyed,
  });
  if (error) await writeEvent(response, error.body, stallMs);
  if (!response.destroyed) {
    await writeEvent(response, '[DONE]', stallMs);
    response.end();
  }
}
