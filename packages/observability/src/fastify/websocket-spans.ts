/**
 * Each generation message of a WebSocket as a span of its own under the connection's span,
 * with the GenAI attributes (operation, requested and serving model, token usage, error
 * type), and counted in the SLOs like a REST request. The server calls this observer for
 * every admitted message (`WebSocketObserver` of `@llmr/server`, typed structurally here:
 * the server is not a dependency); the routing, attempt and model spans nest under it
 * because the generation runs in its context.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { SloMonitor } from '../slo/slo-monitor';
import { GenAiAttribute, LlmrAttribute } from '../tracing/gen-ai-attributes';
import {
  bodyAttributes,
  endSurfaceSpan,
  runInSpanContext,
  SurfaceAttribute,
  type SurfaceOutcome,
} from '../tracing/surface-spans';
import { isTracingEnabled, llmrTracer } from '../tracing/tracing-state';
import { stateOf } from './request-state';

export interface WebSocketMessageInfoLike {
  connection: object;
  id: string;
  /** The server's id of the generation, which the router's events carry (older servers: absent). */
  requestId?: string;
  type: string;
  model: string | undefined;
  body: object;
}

export type WebSocketMessageOutcomeLike = SurfaceOutcome;

export interface WebSocketObserverLike {
  message(
    info: WebSocketMessageInfoLike,
    run: () => Promise<WebSocketMessageOutcomeLike>,
  ): Promise<WebSocketMessageOutcomeLike>;
}

/** The key the server reads its observer from (`WEBSOCKET_OBSERVER` of `@llmr/server`). */
const WEBSOCKET_OBSERVER = Symbol.for('llmr.websocket-observer');

export const WebSocketAttribute = {
  messageId: 'llmr.websocket.message_id',
  messageType: 'llmr.websocket.message_type',
  attempts: SurfaceAttribute.attempts,
  status: SurfaceAttribute.status,
} as const;

const ROUTE_OF: Record<string, string> = {
  'chat.completions': 'ws.chat',
  completions: 'ws.completion',
};

function requestAttributes(info: WebSocketMessageInfoLike) {
  return bodyAttributes(info.body, {
    [GenAiAttribute.operationName]: info.type === 'completions' ? 'text_completion' : 'chat',
    [GenAiAttribute.requestModel]: info.model ?? 'default',
    [LlmrAttribute.route]: ROUTE_OF[info.type] ?? `ws.${info.type}`,
    [LlmrAttribute.stream]: true,
    [WebSocketAttribute.messageId]: info.id,
    [WebSocketAttribute.messageType]: info.type,
  });
}

export function createWebSocketObserver(options: {
  slo?: SloMonitor;
  tenantOf?: (connection: never) => string | undefined;
  onError: (error: unknown) => void;
}): WebSocketObserverLike {
  const record = (
    info: WebSocketMessageInfoLike,
    outcome: WebSocketMessageOutcomeLike,
    startedAt: number,
  ) => {
    // Like REST: only a message that reached a model counts for its model's SLOs.
    if (!options.slo || !outcome.routing) return;
    const tenant = options.tenantOf?.(info.connection as never);
    options.slo
      .record({
        route: ROUTE_OF[info.type] ?? `ws.${info.type}`,
        model: outcome.routing.model,
        ...(tenant ? { tenant } : {}),
        ok: outcome.status < 500,
        durationMs: performance.now() - startedAt,
      })
      .catch(options.onError);
  };

  return {
    async message(info, run) {
      const startedAt = performance.now();
      if (!isTracingEnabled()) {
        const outcome = await run();
        record(info, outcome, startedAt);
        return outcome;
      }
      const connectionSpan = stateOf(info.connection)?.span;
      // Socket events do not run in the upgrade request's context: name the parent.
      const parent = connectionSpan
        ? trace.setSpan(context.active(), connectionSpan)
        : context.active();
      const attributes = requestAttributes(info);
      const span = llmrTracer().startSpan(
        `${attributes[GenAiAttribute.operationName]} ${attributes[GenAiAttribute.requestModel]}`,
        { kind: SpanKind.SERVER, attributes },
        parent,
      );
      const outcome = await runInSpanContext(trace.setSpan(parent, span), info.requestId, run);
      endSurfaceSpan(span, outcome);
      record(info, outcome, startedAt);
      return outcome;
    },
  };
}

/** Makes `observer` the one the server calls for each WebSocket message of `app`. */
export function setWebSocketObserver(app: FastifyInstance, observer: WebSocketObserverLike): void {
  (app as unknown as Record<symbol, WebSocketObserverLike>)[WEBSOCKET_OBSERVER] = observer;
}
