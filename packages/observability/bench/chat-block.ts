/** A block of chat requests through Fastify's `inject` (every hook, no sockets), a few at a time. */
import type { LlmrServer } from '@llmr/server';

// `user` gives experiments a sticky key, as a real client's would; greedy decoding makes every
// request to a real model the same work.
const PAYLOAD = JSON.stringify({
  model: 'instant',
  user: 'bench-user',
  temperature: 0,
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 16,
});

export async function chatBlock(
  server: LlmrServer,
  requests: number,
  options: {
    concurrency?: number;
    /** Runs each request, e.g. inside `AsyncLocalStorage.run`. */
    around?: (request: () => Promise<void>) => Promise<void>;
  } = {},
): Promise<void> {
  const request = async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: PAYLOAD,
    });
    if (response.statusCode !== 200)
      throw new Error(`The server answered ${response.statusCode}: ${response.body}`);
  };
  let next = 0;
  const worker = async () => {
    while (next++ < requests) await (options.around ? options.around(request) : request());
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
}
