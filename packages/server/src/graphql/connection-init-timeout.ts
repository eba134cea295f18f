/**
 * graphql-ws asks a server to close a socket that has not sent `connection_init` within a
 * wait with 4408 ("Connection initialisation timeout"). mercurius has no such wait, so an
 * upgraded socket that never speaks would hold a connection (and its memory) until the
 * idle timeout. The wait is kept here, on the WebSocket server's connections to the
 * GraphQL path, beside mercurius' own handling of the messages.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';

/** graphql-ws' close code for a socket that did not initialise in time. */
export const CONNECTION_INIT_TIMEOUT_CODE = 4408;

/** Largest message inspected for `connection_init`; a bigger first message cannot be one. */
const MAX_INIT_MESSAGE_BYTES = 64 * 1024;

export function enforceConnectionInitTimeout(
  server: WebSocketServer,
  options: { path: string; timeoutMs: number },
): void {
  server.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    if ((request.url ?? '').split('?')[0] !== options.path) return;
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      if (socket.readyState === socket.OPEN)
        socket.close(CONNECTION_INIT_TIMEOUT_CODE, 'Connection initialisation timeout');
    }, options.timeoutMs);
    timer.unref();
    const onMessage = (data: Buffer | ArrayBuffer | Buffer[]) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (bytes.length > MAX_INIT_MESSAGE_BYTES || !isConnectionInit(bytes)) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
    };
    socket.on('message', onMessage);
    socket.once('close', () => clearTimeout(timer));
  });
}

function isConnectionInit(bytes: Buffer): boolean {
  try {
    const message: unknown = JSON.parse(bytes.toString('utf8'));
    return (
      typeof message === 'object' &&
      message !== null &&
      (message as { type?: unknown }).type === 'connection_init'
    );
  } catch {
    return false;
  }
}
