/**
 * Bounded waits over real sockets: a generation past its deadline is stopped (504 or an
 * error event), and an SSE client that stops reading is cut off, releasing its model,
 * while the server keeps serving everyone else.
 */
import { connect, type Socket } from 'node:net';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { describe, expect, it } from 'vitest';
import { startServer } from './__fixtures__/test-server';
import { createRouterBackend, createServer, type ServerTimeouts } from './index';

async function until(predicate: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A server with a 300 ms write stall and a model with room for far more text than socket buffers hold. */
async function startLongServer(timeouts: ServerTimeouts = {}) {
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [{ id: 'long', source: 'mock:random?contextLength=10000000' }],
  });
  const server = await createServer({
    backend: createRouterBackend(router),
    logger: false,
    apiKeys: [],
    timeouts: { writeStallMs: 300, generationMs: 120_000, ...timeouts },
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, url, port: new URL(url).port };
}

/** The non-reading client's one generation starts, is released, and the server stays healthy. */
async function expectCutOff(url: string, socket: Socket) {
  const closed = new Promise((resolve) => socket.once('close', resolve));
  const inflight = async () =>
    ((await (await fetch(`${url}/api/inflight`)).json()) as { requests: unknown[] }).requests
      .length;
  await until(async () => (await inflight()) === 1);
  await until(async () => (await inflight()) === 0, 30_000);
  socket.resume();
  await closed;
  const health = await fetch(`${url}/health`);
  expect(health.status).toBe(200);
}

describe('timeouts', () => {
  it('stops a generation at the deadline, in JSON and in SSE', async () => {
    const { url } = await startServer({ timeouts: { generationMs: 300 } });
    const ask = (stream: boolean) =>
      fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // 20 ms a token: 1000 tokens would take 20 s.
        body: JSON.stringify({ model: 'slow', prompt: 'x', max_tokens: 1000, stream }),
      });
    const started = Date.now();
    const json = await ask(false);
    expect(json.status).toBe(504);
    expect(((await json.json()) as { error: { message: string } }).error.message).toMatch(
      /deadline/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    const sse = await ask(true);
    expect(sse.status).toBe(200);
    expect(await sse.text()).toMatch(/deadline[\s\S]*\[DONE\]/);
    const inflight = await (await fetch(`${url}/api/inflight`)).json();
    expect(inflight).toEqual({ requests: [] });
    // Quick requests are untouched by the deadline.
    const quick = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', prompt: 'hi', max_tokens: 2 }),
    });
    expect(quick.status).toBe(200);
  });

  it('cuts off an SSE client that stops reading, and frees its generation', async () => {
    const { server, url, port } = await startLongServer();
    const body = JSON.stringify({
      model: 'long',
      prompt: 'x',
      max_tokens: 5_000_000,
      stream: true,
    });
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // Never reads: the server's writes back up.
    socket.write(
      `POST /v1/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await expectCutOff(url, socket);
    await server.shutdown();
  });

  it('cuts off a WebSocket client that stops reading, and frees its generations', async () => {
    // Pings would also cut off this silent peer; keep them out of the way.
    const { server, url, port } = await startLongServer({ websocketPingMs: 600_000 });
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'GET /v1/ws HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
    );
    const handshake = await new Promise<string>((resolve) =>
      socket.once('data', (data: Buffer) => resolve(data.toString('latin1'))),
    );
    expect(handshake).toMatch(/^HTTP\/1\.1 101/);
    socket.pause(); // Never reads again: the server's frames back up.
    // One masked text frame (a zero mask leaves the payload as is).
    const payload = Buffer.from(
      JSON.stringify({
        type: 'completions',
        id: 'a',
        body: { model: 'long', prompt: 'x', max_tokens: 5_000_000 },
      }),
    );
    const header = Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    socket.write(Buffer.concat([header, Buffer.alloc(4), payload]));
    await expectCutOff(url, socket);
    await server.shutdown();
  });
});
