/**
 * Spans from the router's event stream: the routing decision (strategy, candidates,
 * scores, exclusions) and every attempt (first, retry, fallback) with its outcome. The
 * router emits its events synchronously inside the call, so the active context then is the
 * caller's and the spans land in the caller's trace. Typed structurally: the router is not
 * a dependency.
 */
import { context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { GenAiAttribute, LlmrAttribute } from './gen-ai-attributes';
import { isTracingEnabled, llmrTracer } from './tracing-state';

interface EventError {
  name: string;
  code?: string;
  message: string;
}

/** The router events this reads (a subset of `@llmr/router`'s `RouterEvent`). */
export type RouterEventLike =
  | {
      type: 'route';
      requestId: string;
      requested: string;
      route?: string;
      strategy: string;
      candidates: { modelId: string; score: number }[];
      excluded: { modelId: string; reason: string }[];
    }
  | { type: 'attempt-start'; requestId: string; modelId: string; retry: number }
  | { type: 'attempt-error'; requestId: string; modelId: string; retry: number; error: EventError }
  | { type: 'first-token'; requestId: string; modelId: string; ttftMs: number }
  | {
      type: 'request-finish';
      requestId: string;
      modelId: string;
      cached: boolean;
      costUsd?: number;
    }
  | { type: 'request-error'; requestId: string; error: EventError }
  | { type: 'model-load'; modelId: string; durationMs: number }
  | { type: string };

export interface RouterEventSource {
  subscribe(listener: (event: never) => void): () => void;
}

interface RequestState {
  attempts: number;
  lastModel: string | undefined;
  open: Span | undefined;
}

/** Requests followed at once; past this the oldest is dropped (a router that lost an end event must not leak). */
const MAX_OPEN_REQUESTS = 10_000;

function failSpan(span: Span, error: EventError): void {
  span.setAttribute(GenAiAttribute.errorType, error.code ?? error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

export function traceRouterEvents(router: RouterEventSource): () => void {
  const requests = new Map<string, RequestState>();
  const stateOf = (requestId: string): RequestState => {
    let state = requests.get(requestId);
    if (!state) {
      state = { attempts: 0, lastModel: undefined, open: undefined };
      requests.set(requestId, state);
      if (requests.size > MAX_OPEN_REQUESTS) {
        const oldest = requests.keys().next().value;
        if (oldest !== undefined) {
          requests.get(oldest)?.open?.end();
          requests.delete(oldest);
        }
      }
    }
    return state;
  };
  const finish = (requestId: string, error?: EventError) => {
    const state = requests.get(requestId);
    if (!state) return;
    if (state.open) {
      if (error) failSpan(state.open, error);
      state.open.end();
    }
    requests.delete(requestId);
  };

  const listener = (raw: RouterEventLike) => {
    if (!isTracingEnabled()) return;
    const tracer = llmrTracer();
    const event = raw as Extract<RouterEventLike, { type: typeof raw.type }>;
    switch (event.type) {
      case 'route': {
        const route = event as Extract<RouterEventLike, { type: 'route' }>;
        const span = tracer.startSpan(
          'llmr.route',
          {
            attributes: {
              [LlmrAttribute.routingStrategy]: route.strategy,
              [LlmrAttribute.routingCandidates]: route.candidates.map(
                (candidate) => candidate.modelId,
              ),
              [LlmrAttribute.routingScores]: route.candidates.map((candidate) => candidate.score),
              'llmr.routing.excluded': route.excluded.map(
                (excluded) => `${excluded.modelId}: ${excluded.reason}`,
              ),
              'llmr.routing.requested': route.requested,
              ...(route.candidates[0]
                ? { [LlmrAttribute.routingSelected]: route.candidates[0].modelId }
                : {}),
              ...(route.route ? { [LlmrAttribute.route]: route.route } : {}),
            },
          },
          context.active(),
        );
        span.end();
        return;
      }
      case 'attempt-start': {
        const attempt = event as Extract<RouterEventLike, { type: 'attempt-start' }>;
        const state = stateOf(attempt.requestId);
        state.open?.end();
        state.attempts += 1;
        const kind =
          attempt.retry > 0
            ? 'retry'
            : state.lastModel !== undefined && state.lastModel !== attempt.modelId
              ? 'fallback'
              : 'first';
        state.lastModel = attempt.modelId;
        state.open = tracer.startSpan(
          `llmr.attempt ${attempt.modelId}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              [LlmrAttribute.attemptNumber]: state.attempts,
              [LlmrAttribute.attemptKind]: kind,
              [GenAiAttribute.requestModel]: attempt.modelId,
            },
          },
          context.active(),
        );
        return;
      }
      case 'attempt-error': {
        const failed = event as Extract<RouterEventLike, { type: 'attempt-error' }>;
        const state = requests.get(failed.requestId);
        if (state?.open) {
          failSpan(state.open, failed.error);
          state.open.end();
          state.open = undefined;
        }
        return;
      }
      case 'first-token': {
        const first = event as Extract<RouterEventLike, { type: 'first-token' }>;
        requests
          .get(first.requestId)
          ?.open?.setAttribute(LlmrAttribute.timeToFirstToken, first.ttftMs / 1000);
        return;
      }
      case 'request-finish': {
        const done = event as Extract<RouterEventLike, { type: 'request-finish' }>;
        const open = requests.get(done.requestId)?.open;
        open?.setAttribute(GenAiAttribute.responseModel, done.modelId);
        if (done.costUsd !== undefined) open?.setAttribute('llmr.cost_usd', done.costUsd);
        finish(done.requestId);
        return;
      }
      case 'request-error': {
        const failed = event as Extract<RouterEventLike, { type: 'request-error' }>;
        finish(failed.requestId, failed.error);
        return;
      }
      case 'model-load': {
        const load = event as Extract<RouterEventLike, { type: 'model-load' }>;
        const span = tracer.startSpan(
          'llmr.model.load',
          {
            attributes: { [GenAiAttribute.requestModel]: load.modelId },
            startTime: Date.now() - load.durationMs,
          },
          context.active(),
        );
        span.end();
        return;
      }
    }
  };
  return router.subscribe(listener as (event: never) => void);
}
