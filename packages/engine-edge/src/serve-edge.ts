/**
 * Listens with the host runtime's own HTTP server: `Deno.serve` in Deno, `Bun.serve` in
 * Bun. Both take a web-standard fetch handler, so this is only the detection and the
 * shape of the returned server. (Node has no such global; use @llmr/server there.)
 */
import { UnsupportedFunctionalityError } from '@llmr/core';
import type { EdgeHandler } from './edge-handler';

export interface ServeEdgeOptions {
  handler: EdgeHandler;
  /** Default 0: a free port, reported in the result. */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
}

export interface EdgeServer {
  runtime: 'deno' | 'bun';
  port: number;
  close(): Promise<void>;
}

// The two globals, typed only as far as this file uses them.
interface DenoGlobal {
  serve(
    options: { port: number; hostname: string; onListen?: (address: { port: number }) => void },
    handler: EdgeHandler,
  ): { finished: Promise<void>; shutdown(): Promise<void>; addr: { port: number } };
}
interface BunGlobal {
  serve(options: { port: number; hostname: string; fetch: EdgeHandler }): {
    port: number;
    stop(closeActiveConnections?: boolean): void | Promise<void>;
  };
}

export function serveEdge(options: ServeEdgeOptions): EdgeServer {
  const port = options.port ?? 0;
  const hostname = options.hostname ?? '127.0.0.1';
  const host = globalThis as { Deno?: DenoGlobal; Bun?: BunGlobal };
  if (host.Deno) {
    const server = host.Deno.serve({ port, hostname, onListen: () => {} }, options.handler);
    return { runtime: 'deno', port: server.addr.port, close: () => server.shutdown() };
  }
  if (host.Bun) {
    const server = host.Bun.serve({ port, hostname, fetch: options.handler });
    return {
      runtime: 'bun',
      port: server.port,
      close: async () => {
        await server.stop(true);
      },
    };
  }
  throw new UnsupportedFunctionalityError({
    functionality: 'serveEdge outside Deno and Bun',
    message:
      'serveEdge needs Deno.serve or Bun.serve; in Node use @llmr/server, in Workers export createEdgeWorker().',
  });
}
