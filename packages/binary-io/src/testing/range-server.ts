/**
 * A local HTTP server (Node) for testing readers that use byte ranges. Paths:
 * - `/range/<name>`: honours `Range` (206 with `Content-Range: bytes a-b/total`, 416 past the end)
 * - `/no-total/<name>`: honours `Range` but hides the total (`bytes a-b/*`)
 * - `/no-range/<name>`: ignores `Range` (200 with the whole body)
 * - `/status/<code>`: answers that status
 * It counts requests and body bytes sent, so tests can check how much was read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RangeServer {
  url(path: string): string;
  files: Map<string, Uint8Array>;
  requests: number;
  bytesSent: number;
  close(): Promise<void>;
}

export async function startRangeServer(): Promise<RangeServer> {
  const files = new Map<string, Uint8Array>();
  const state = { requests: 0, bytesSent: 0 };
  const server: Server = createServer((request, response) => {
    state.requests++;
    const [, mode, name = ''] = (request.url ?? '').split('/');
    if (mode === 'status') {
      response.writeHead(Number(name), { 'content-type': 'text/plain' });
      response.end('failure body');
      return;
    }
    const file = files.get(name);
    if (!file) {
      response.writeHead(404);
      response.end('not found');
      return;
    }
    const send = (status: number, headers: Record<string, string>, body: Uint8Array) => {
      response.writeHead(status, { ...headers, 'content-length': String(body.byteLength) });
      // Large bodies go out in pieces so that a client that stops reading really saves bytes.
      let offset = 0;
      const pump = () => {
        while (offset < body.byteLength) {
          const chunk = body.subarray(offset, offset + 65536);
          offset += chunk.byteLength;
          state.bytesSent += chunk.byteLength;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      response.on('close', () => {
        offset = body.byteLength;
      });
      pump();
    };
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
    if (mode === 'no-range' || !range) {
      send(200, {}, file);
      return;
    }
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), file.byteLength - 1);
    if (start >= file.byteLength) {
      response.writeHead(416, { 'content-range': `bytes */${file.byteLength}` });
      response.end();
      return;
    }
    const total = mode === 'no-total' ? '*' : String(file.byteLength);
    send(206, { 'content-range': `bytes ${start}-${end}/${total}` }, file.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    files,
    get requests() {
      return state.requests;
    },
    set requests(value) {
      state.requests = value;
    },
    get bytesSent() {
      return state.bytesSent;
    },
    set bytesSent(value) {
      state.bytesSent = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
