/** A server over a router of mock models, for the transport tests; stopped after each test. */
import { once } from 'node:events';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { createRouterBackend, createServer, type LlmrServer, type ServerOptions } from '../index';
import { createTestRouter } from './test-router';

const servers: LlmrServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown()));
});

/** A server over the mock models, not listening yet (`app.inject` works). */
export async function createTestServer(options: Partial<ServerOptions> = {}) {
  const router = createTestRouter();
  const backend = createRouterBackend(router, { defaultModel: 'echo' });
  await backend.preload();
  const server = await createServer({ backend, logger: false, apiKeys: [], ...options });
  servers.push(server);
  return server;
}

/** The same server, listening on 127.0.0.1. */
export async function startServer(options: Partial<ServerOptions> = {}) {
  const server = await createTestServer(options);
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, url, wsUrl: url.replace(/^http/, 'ws') };
}

// biome-ignore lint/suspicious/noExplicitAny: test messages are checked field by field
export type Message = Record<string, any>;

/** A `ws` client that keeps every message and waits for the ones a test expects. */
export async function openSocket(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, { headers });
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse(data.toString()));
    for (const wake of waiters) wake();
  });
  await once(socket, 'open');
  const until = (predicate: (message: Message) => boolean, timeoutMs = 5000) =>
    new Promise<Message>((resolve, reject) => {
      const check = () => {
        const found = messages.find(predicate);
        if (!found) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching message; got ${JSON.stringify(messages).slice(0, 2000)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    socket,
    messages,
    send: (message: unknown) =>
      socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    until,
    /** Every message for `id`, once its `done` or `error` has come. */
    async finished(id: string | null, timeoutMs = 5000) {
      await until(
        (message) => message.id === id && (message.type === 'done' || message.type === 'error'),
        timeoutMs,
      );
      return messages.filter((message) => message.id === id);
    },
    async close() {
      if (socket.readyState === socket.CLOSED) return;
      socket.close();
      await once(socket, 'close');
    },
  };
}

/** Why the upgrade was refused: the HTTP status, or 101 if it was accepted. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}) {
  return new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.on('unexpected-response', (request, response) => {
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    socket.on('open', () => {
      resolve(101);
      socket.close();
    });
    socket.on('error', (error) => reject(error));
  });
}

export function sseEvents(text: string): Message[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: ') && block !== 'data: [DONE]')
    .map((block) => JSON.parse(block.slice(6)));
}

/** A chunk without what differs per response (its id and creation time). */
export function comparable(chunk: Message) {
  const { id: _id, created: _created, ...rest } = chunk;
  return rest;
}
