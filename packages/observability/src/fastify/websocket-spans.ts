/**
 * Each generation message of a WebSocket as a span of its own under the connection's span,
 * with the GenAI attributes (operation, requested and serving model, token usage, error
 * type), and counted in the SLOs like a REST request. The server calls this observer for
 * every admitted message (`WebSocketObserver` of `@llmr/server`, typed structurally here:
 * the server is not a dependency); the routing, attempt and model spans nest under it
 * because the generation runs in its context.
 */
import { type Attributes, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { SloMonitor } from '../slo/slo-monitor';
import { GenAiAttribute, LlmrAttribute } from '../tracing/gen-ai-attributes';
import { errorTypeOf, recordSpanError } from '../tracing/spans';
import { isTracingEnabled, llmrTracer } from '../tracing/tracing-state';
import { stateOf } from './request-state';

export interface WebSocketMessageInfoLike {
  connection: object;
  id: string;
  type: string;
  model: string | undefined;
  body: object;
}

export interface WebSocketMessageOutcomeLike {
  status: number;
  routing?: { model: string; attempts: number; strategy?: string };
  usage?: { inputTokens: number; outputTokens: number };
  error?: unknown;
}

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
  attempts: 'llmr.routing.attempts',
  status: 'llmr.status_code',
} as const;

const ROUTE_OF: Record<string, string> = {
  'chat.completions': 'ws.chat',
  completions: 'ws.completion',
};

function requestAttributes(info: WebSocketMessageInfoLike): Attributes {
  const body = info.body as { temperature?: unknown; top_p?: unknown; max_tokens?: unknown };
  const attributes: Attributes = {
    [GenAiAttribute.operationName]: info.type === 'completions' ? 'text_completion' : 'chat',
    [GenAiAttribute.requestModel]: info.model ?? 'default',
    [LlmrAttribute.route]: ROUTE_OF[info.type] ?? `ws.${info.type}`,
    [LlmrAttribute.stream]: true,
    [WebSocketAttribute.messageId]: info.id,
    [WebSocketAttribute.messageType]: info.type,
  };
  if (typeof body.temperature === 'number')
    attributes[GenAiAttribute.requestTemperature] = body.temperature;
  if (typeof body.top_p === 'number') attributes[GenAiAttribute.requestTopP] = body.top_p;
  if (typeof body.max_tokens === 'number')
    attributes[GenAiAttribute.requestMaxTokens] = body.max_tokens;
  return attributes;
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
      const outcome = await context.with(trace.setSpan(parent, span), run);
      span.setAttribute(WebSocketAttribute.status, outcome.status);
      if (outcome.routing) {
        span.setAttribute(GenAiAttribute.responseModel, outcome.routing.model);
        span.setAttribute(WebSocketAttribute.attempts, outcome.routing.attempts);
        if (outcome.routing.strategy)
          span.setAttribute(LlmrAttribute.routingStrategy, outcome.routing.strategy);
      }
      if (outcome.usage) {
        span.setAttribute(GenAiAttribute.usageInputTokens, outcome.usage.inputTokens);
        span.setAttribute(GenAiAttribute.usageOutputTokens, outcome.usage.outputTokens);
      }
      // As for REST, only a server-side failure marks the span failed; a refused or
      // cancelled request still says why in `error.type`.
      if (outcome.status >= 500) {
        if (outcome.error !== undefined) recordSpanError(span, outcome.error);
        else span.setStatus({ code: SpanStatusCode.ERROR });
      } else if (outcome.error !== undefined) {
        span.setAttribute(GenAiAttribute.errorType, errorTypeOf(outcome.error));
      }
      span.end();
      record(info, outcome, startedAt);
      return outcome;
    },
  };
}

/** Makes `observer` the one the server calls for each WebSocket message of `app`. */
export function setWebSocketObserver(app: FastifyInstance, observer: WebSocketObserverLike): void {
  (app as unknown as Record<symbol, WebSocketObserverLike>)[WEBSOCKET_OBSERVER] = observer;
}
