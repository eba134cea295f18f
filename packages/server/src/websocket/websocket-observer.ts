/**
 * A hook for an observability layer around each generation message of a WebSocket. The
 * messages of one socket share a single HTTP request (the upgrade), so HTTP hooks cannot
 * tell where one generation starts or ends, which model served it or what it used; this
 * hook can. It is found on the Fastify app under a `Symbol.for` key, so a layer registered
 * after the server was built can set it without depending on this package.
 */
import type { ModelV1Usage } from '@llmr/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RoutingSummary } from '../routing';

export interface WebSocketMessageInfo {
  /** The upgrade request: what the connection's own observability hangs on. */
  connection: FastifyRequest;
  /** The client's id of this request on the socket. */
  id: string;
  /** The server's id of this generation: what the router's events and the metering name it by. */
  requestId: string;
  type: 'chat.completions' | 'completions';
  /** The model the client asked for (an id, an alias or `auto`). */
  model: string | undefined;
  body: object;
}

export interface WebSocketMessageOutcome {
  /** What REST would have answered: 200, or the failure's status. */
  status: number;
  routing?: RoutingSummary;
  usage?: ModelV1Usage;
  error?: unknown;
}

export interface WebSocketObserver {
  /**
   * Runs one admitted generation message. `run` never throws: it answers the client and
   * resolves with how it went. The observer may run it in a context of its own (a span's),
   * so that what the generation does nests under it.
   */
  message(
    info: WebSocketMessageInfo,
    run: () => Promise<WebSocketMessageOutcome>,
  ): Promise<WebSocketMessageOutcome>;
}

export const WEBSOCKET_OBSERVER = Symbol.for('llmr.websocket-observer');

export function setWebSocketObserver(
  app: FastifyInstance,
  observer: WebSocketObserver | undefined,
): void {
  (app as unknown as Record<symbol, WebSocketObserver | undefined>)[WEBSOCKET_OBSERVER] = observer;
}

export function webSocketObserverOf(app: FastifyInstance): WebSocketObserver | undefined {
  return (app as unknown as Record<symbol, WebSocketObserver | undefined>)[WEBSOCKET_OBSERVER];
}
