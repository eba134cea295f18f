/**
 * A client that goes away aborts its own generation, and only that. 'close' also follows
 * every normal response: only a generation still running is aborted (and only then is
 * the error built).
 */
import { LlmrError } from '@llmr/core';
import type { FastifyReply } from 'fastify';

export function abortOnClientClose(reply: FastifyReply): {
  controller: AbortController;
  /** Call when the response is done: a later 'close' is then no abort. */
  settle(): void;
} {
  const controller = new AbortController();
  let settled = false;
  reply.raw.on('close', () => {
    if (settled || reply.raw.writableFinished || controller.signal.aborted) return;
    controller.abort(
      new LlmrError({ code: 'client-disconnected', message: 'The client closed the connection.' }),
    );
  });
  return {
    controller,
    settle: () => {
      settled = true;
    },
  };
}
