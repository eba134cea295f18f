/**
 * A client that hangs up on /v1/embeddings stops the model's embedding call, as it stops a
 * generation: the model sees the abort, and the request leaves the in-flight list.
 */
import { request as httpRequest } from 'node:http';
import { LlmrError, type ModelV1, type ModelV1EmbedOptions } from '@llmr/core';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouterBackend, createServer, type LlmrServer } from '../index';

/**
 * A test double of a slow embedder: its doEmbed runs until its signal aborts, and records
 * why (the mock loader's embeddings return at once, so they cannot be interrupted).
 */
function createBlockingEmbedder() {
  let started!: () => void;
  const calls = new Promise<void>((resolve) => {
    started = resolve;
  });
  const reasons: unknown[] = [];
  const model: ModelV1 = {
    specificationVersion: 'v1',
    info: { id: 'blocking', format: 'test', contextLength: 512, capabilities: ['embeddings'] },
    async doGenerate() {
      throw new LlmrError({ code: 'unsupported-functionality', message: 'embeddings only' });
    },
    async doStream() {
      throw new LlmrError({ code: 'unsupported-functionality', message: 'embeddings only' });
    },
    doEmbed(options: ModelV1EmbedOptions) {
      started();
      return new Promise((_resolve, reject) => {
        const signal = options.abortSignal;
        if (!signal) return reject(new Error('doEmbed got no abortSignal'));
        signal.addEventListener('abort', () => {
          reasons.push(signal.reason);
          reject(signal.reason);
        });
      });
    },
    async dispose() {},
  };
  return { model, started: calls, reasons };
}

let server: LlmrServer | undefined;
afterEach(async () => {
  await server?.shutdown();
  server = undefined;
});

describe('embeddings and client disconnects', () => {
  it('aborts the engine call when the client closes the connection', async () => {
    const embedder = createBlockingEmbedder();
    const router = createRouter({
      loaders: [createMockLoader()],
      models: [
        { id: 'blocking', model: embedder.model },
        { id: 'echo', source: 'mock:echo' },
      ],
      retry: { maxRetries: 0 },
    });
    server = await createServer({
      backend: createRouterBackend(router, { defaultModel: 'echo' }),
      logger: false,
      apiKeys: [],
    });
    const url = new URL(await server.listen({ port: 0 }));
    const body = JSON.stringify({ model: 'blocking', input: ['a', 'b'] });
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      path: '/v1/embeddings',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', () => {}); // The hang-up below is the test.
    request.end(body);
    await embedder.started;
    expect(server.inFlight().map((entry) => entry.route)).toEqual(['embeddings']);
    request.destroy();
    await expect.poll(() => embedder.reasons.length, { timeout: 5_000 }).toBe(1);
    // The router wraps the reason in its attempt's AbortError; the cause says who left.
    expect(embedder.reasons[0]).toMatchObject({
      code: 'aborted',
      cause: expect.objectContaining({ code: 'client-disconnected' }),
    });
    await expect.poll(() => server?.inFlight().length, { timeout: 5_000 }).toBe(0);

    // The server still answers embeddings after the hang-up.
    const after = await fetch(new URL('/v1/embeddings', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', input: 'fine' }),
    });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { data: unknown[] }).data).toHaveLength(1);
  });
});
