/**
 * Hostile clients over real TCP sockets (not `inject`): random bytes, malformed and
 * truncated requests, bad chunked encodings, invalid JSON, oversized bodies and huge
 * headers, and slow writers that trickle headers or bodies. The server answers each with a
 * 4xx or a closed socket, never a 5xx; slow writers are cut off by the header and request
 * timeouts; and a well-behaved client running alongside gets every answer right.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { startServer } from './__fixtures__/test-server';
import type { LlmrServer } from './index';

const HEADERS_MS = 1_000;
const REQUEST_MS = 2_000;

let server: LlmrServer;
let port: number;
let url: string;

// A fresh server per test (the fixture stops it after each).
beforeEach(async () => {
  const started = await startServer({
    bodyLimit: 64 * 1024,
    timeouts: { headersMs: HEADERS_MS, requestMs: REQUEST_MS, keepAliveMs: 500 },
  });
  server = started.server;
  url = started.url;
  port = Number(new URL(url).port);
});

interface Exchange {
  /** Status codes of the responses the server wrote (several on a pipelined socket). */
  statuses: number[];
  /** The server closed the socket before the read deadline. */
  closedByServer: boolean;
  elapsedMs: number;
}

/**
 * Writes `pieces` to a fresh socket (with `pauseMs` between them), then ends, destroys or
 * keeps its side open, and reads what comes back until the server closes or `readMs` pass.
 */
function exchange(
  pieces: (string | Uint8Array)[],
  options: { finish: 'end' | 'destroy' | 'keep'; pauseMs?: number; readMs?: number },
): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const done = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      const statuses = [...received.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) =>
        Number(match[1]),
      );
      resolve({ statuses, closedByServer, elapsedMs: Date.now() - started });
    };
    const deadline = setTimeout(() => done(false), options.readMs ?? 3_000);
    socket.on('data', (data) => {
      received += data.toString('latin1');
    });
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    socket.once('connect', async () => {
      for (const piece of pieces) {
        if (settled || socket.destroyed) return;
        socket.write(piece);
        if (options.pauseMs) await new Promise((wait) => setTimeout(wait, options.pauseMs));
      }
      if (options.finish === 'end') socket.end();
      else if (options.finish === 'destroy') {
        socket.destroy();
        done(false);
      }
    });
  });
}

/** A client that does everything right, in a loop, checking every answer. */
function wellBehavedClient() {
  let running = true;
  const failures: string[] = [];
  let answered = 0;
  const loop = (async () => {
    for (let index = 0; running; index++) {
      const content = `request ${index} of the good client`;
      try {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content }] }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await response.json()) as { choices?: { message: { content: string } }[] };
        if (response.status !== 200 || body.choices?.[0]?.message.content !== content)
          failures.push(`${response.status} ${JSON.stringify(body).slice(0, 200)}`);
        else answered++;
      } catch (error) {
        failures.push(`${String(error)} ${String((error as Error).cause)}`);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { answered, failures };
    },
  };
}

const CRLF = '\r\n';
const paths = fc.oneof(
  fc.constantFrom(
    '/v1/chat/completions',
    '/v1/completions',
    '/v1/embeddings',
    '/v1/messages',
    '/v1/models',
    '/v1/models/echo',
    '/graphql',
    '/v1/ws',
    '/api/inflight',
    '/api/health/models',
    '/health',
    '/metrics',
    '*',
  ),
  fc.webPath(),
  fc.string({ maxLength: 300 }).map((text) => `/${text}`),
);
const methods = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const headerName = fc.oneof(
  fc.constantFrom('content-type', 'accept', 'authorization', 'origin', 'x-request-id', 'expect'),
  fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
  fc.string({ maxLength: 20 }),
);
const headerValue = fc.oneof(
  fc.constantFrom('application/json', 'text/plain', '100-continue', 'Bearer x', 'null'),
  fc.string({ maxLength: 80 }),
);
const validChat = JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] });
const bodies = fc.oneof(
  fc.constant(validChat),
  fc.integer({ min: 0, max: validChat.length }).map((cut) => validChat.slice(0, cut)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.constant(`{"model":"echo","messages":[${'['.repeat(5_000)}`),
);

/** How the body is framed: right, wrong, chunked (well or badly), or not at all. */
const framings = fc.constantFrom(
  'length',
  'length-short',
  'length-long',
  'length-negative',
  'length-twice',
  'chunked',
  'chunked-bad-size',
  'chunked-short-data',
  'chunked-unterminated',
  'chunked-and-length',
  'none',
);

function framed(framing: string, body: string): { headers: string[]; payload: string } {
  const length = Buffer.byteLength(body, 'latin1');
  const hex = length.toString(16);
  switch (framing) {
    case 'length':
      return { headers: [`content-length: ${length}`], payload: body };
    case 'length-short':
      return { headers: [`content-length: ${Math.max(0, length - 3)}`], payload: body };
    case 'length-long':
      return { headers: [`content-length: ${length + 50}`], payload: body };
    case 'length-negative':
      return { headers: ['content-length: -1'], payload: body };
    case 'length-twice':
      return { headers: [`content-length: ${length}`, 'content-length: 7'], payload: body };
    case 'chunked':
      return {
        headers: ['transfer-encoding: chunked'],
        payload: `${hex}${CRLF}${body}${CRLF}0${CRLF}${CRLF}`,
      };
    case 'chunked-bad-size':
      return {
        headers: ['transfer-encoding: chunked'],
        payload: `zz${CRLF}${body}${CRLF}0${CRLF}`,
      };
    case 'chunked-short-data':
      return {
        headers: ['transfer-encoding: chunked'],
        payload: `${(length + 40).toString(16)}${CRLF}${body}${CRLF}0${CRLF}${CRLF}`,
      };
    case 'chunked-unterminated':
      return { headers: ['transfer-encoding: chunked'], payload: `${hex}${CRLF}${body}` };
    case 'chunked-and-length':
      return {
        headers: ['transfer-encoding: chunked', `content-length: ${length}`],
        payload: `${hex}${CRLF}${body}${CRLF}0${CRLF}${CRLF}`,
      };
    default:
      return { headers: [], payload: body };
  }
}

const requests = fc
  .record({
    method: methods,
    path: paths,
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
    body: bodies,
    framing: framings,
    /** Cut the bytes at this fraction (1: whole). */
    cut: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
    finish: fc.constantFrom('end' as const, 'destroy' as const, 'keep' as const),
  })
  .map(({ method, path, headers, body, framing, cut, finish }) => {
    const { headers: framingHeaders, payload } = framed(framing, body);
    const text =
      `${method} ${path} HTTP/1.1${CRLF}host: 127.0.0.1${CRLF}` +
      [...headers.map(([name, value]) => `${name}: ${value}`), ...framingHeaders]
        .map((line) => `${line}${CRLF}`)
        .join('') +
      CRLF +
      payload;
    const bytes = Buffer.from(text, 'latin1');
    return { bytes: bytes.subarray(0, Math.floor(bytes.length * cut)), finish };
  });

const hostile = fc.oneof(
  { weight: 8, arbitrary: requests },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 2_000 })
      .map((bytes) => ({ bytes: Buffer.from(bytes), finish: 'end' as const })),
  },
);

describe('hostile clients over real sockets', () => {
  it('answers malformed, truncated and oversized requests with 4xx or a close, never 5xx', async () => {
    const good = wellBehavedClient();
    const cases = fc.sample(hostile, { numRuns: 400, seed: 14 });
    // The named extremes, besides the random ones.
    const huge = 'x'.repeat(64 * 1024);
    const named: { name: string; bytes: Buffer; expect: number }[] = [
      {
        name: 'huge header',
        bytes: Buffer.from(
          `GET /health HTTP/1.1${CRLF}host: 127.0.0.1${CRLF}x-big: ${huge}${CRLF}${CRLF}`,
        ),
        expect: 431,
      },
      {
        name: 'body over the limit',
        bytes: Buffer.from(
          `POST /v1/chat/completions HTTP/1.1${CRLF}host: 127.0.0.1${CRLF}content-type: application/json${CRLF}content-length: ${10 * 1024 * 1024}${CRLF}${CRLF}{"model":`,
        ),
        expect: 413,
      },
      {
        name: 'invalid JSON',
        bytes: Buffer.from(
          `POST /v1/chat/completions HTTP/1.1${CRLF}host: 127.0.0.1${CRLF}content-type: application/json${CRLF}content-length: 9${CRLF}connection: close${CRLF}${CRLF}{"model":`,
        ),
        expect: 400,
      },
      {
        name: 'bad chunk size',
        bytes: Buffer.from(
          `POST /v1/chat/completions HTTP/1.1${CRLF}host: 127.0.0.1${CRLF}content-type: application/json${CRLF}transfer-encoding: chunked${CRLF}${CRLF}g1${CRLF}{}${CRLF}0${CRLF}${CRLF}`,
        ),
        expect: 400,
      },
    ];
    for (const { name, bytes, expect: status } of named) {
      const result = await exchange([bytes], { finish: 'keep', readMs: 5_000 });
      expect(result.statuses, name).toEqual([status]);
    }

    const statuses = new Map<number, number>();
    for (let start = 0; start < cases.length; start += 16) {
      const batch = cases.slice(start, start + 16);
      const results = await Promise.all(
        batch.map(({ bytes, finish }) => exchange([bytes], { finish, readMs: 3_000 })),
      );
      results.forEach((result, index) => {
        for (const status of result.statuses) {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          expect(status, batch[index]!.bytes.toString('latin1').slice(0, 300)).toBeLessThan(500);
        }
      });
    }
    const { answered, failures } = await good.stop();
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(10);
    // The random requests reached the routes, not only the parser.
    expect([...statuses.keys()].filter((status) => status >= 200 && status < 300)).not.toEqual([]);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0);

    expect((await fetch(`${url}/health`)).status).toBe(200);
    await expect.poll(() => server.inFlight().length, { timeout: 10_000 }).toBe(0);
  }, 180_000);

  it('cuts off clients that trickle headers or bodies, and serves everyone else meanwhile', async () => {
    const good = wellBehavedClient();
    const trickle = (prefix: string, unit: string) =>
      exchange([prefix, ...Array.from({ length: 100 }, () => unit)], {
        finish: 'keep',
        pauseMs: 200,
        readMs: 25_000,
      });
    const slowHeaders = Array.from({ length: 6 }, () =>
      trickle(
        `POST /v1/chat/completions HTTP/1.1${CRLF}host: 127.0.0.1${CRLF}`,
        `x-slow: 1${CRLF}`,
      ),
    );
    const slowBodies = Array.from({ length: 6 }, () =>
      trickle(
        `POST /v1/chat/completions HTTP/1.1${CRLF}host: 127.0.0.1${CRLF}content-type: application/json${CRLF}content-length: 5000${CRLF}${CRLF}`,
        ' ',
      ),
    );
    const headerResults = await Promise.all(slowHeaders);
    const bodyResults = await Promise.all(slowBodies);
    const { answered, failures } = await good.stop();

    // Each would need 20 s to finish writing; the server closes them long before.
    for (const result of [...headerResults, ...bodyResults]) {
      expect(result.closedByServer).toBe(true);
      expect(result.elapsedMs).toBeLessThan(15_000);
      for (const status of result.statuses) expect(status).toBe(408);
    }
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(5);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  }, 60_000);
});
