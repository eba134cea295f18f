/**
 * Spans from the router's event stream: the routing decision (strategy, candidates,
 * scores, exclusions) and every attempt (first, retry, fallback) with its outcome. Each
 * event names its request: the spans start under the context bound to that request id (see
 * `request-contexts.ts`), else under the active context (the caller's, when a context
 * manager is installed). Typed structurally: the router is not a dependency.
 */
import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { setBounded } from '../bounded-map';
import { GenAiAttribute, LlmrAttribute } from './gen-ai-attributes';
import { callContextOf, requestContextOf, setAttemptContext } from './request-contexts';
import { isStepTracingEnabled, llmrTracer, onTracingChange } from './tracing-state';

interface EventError {
  name: string;
  code?: string;
  message: string;
}

/**
 * A flat view of the router's events (`@llmr/router`'s `RouterEvent`): every field this
 * reads, optional, so any router event fits and unknown ones pass through.
 */
export interface RouterEventLike {
  type: string;
  requestId?: string;
  modelId?: string;
  retry?: number;
  requested?: string;
  route?: string;
  strategy?: string;
  candidates?: readonly { modelId: string; score: number }[];
  excluded?: readonly { modelId: string; reason: string }[];
  error?: EventError;
  ttftMs?: number;
  costUsd?: number;
  durationMs?: number;
}

export interface RouterEventSource {
  subscribe(listener: (event: RouterEventLike) => void): () => void;
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
      setBounded(requests, requestId, state, MAX_OPEN_REQUESTS, (dropped) => dropped.open?.end());
    }
    return state;
  };
  const finish = (requestId: string, error?: EventError) => {
    const state = requests.get(requestId);
    if (!state) return;
    setAttemptContext(requestId, undefined);
    if (state.open) {
      if (error) failSpan(state.open, error);
      state.open.end();
    }
    requests.delete(requestId);
  };

  const listener = (event: RouterEventLike) => {
    const tracer = llmrTracer();
    const requestId = event.requestId ?? '';
    const modelId = event.modelId ?? '';
    const parent = (): Context => requestContextOf(event.requestId) ?? context.active();
    switch (event.type) {
      case 'route': {
        const candidates = event.candidates ?? [];
        tracer
          .startSpan(
            'llmr.route',
            {
              attributes: {
                [LlmrAttribute.routingStrategy]: event.strategy ?? '',
                [LlmrAttribute.routingCandidates]: candidates.map((candidate) => candidate.modelId),
                [LlmrAttribute.routingScores]: candidates.map((candidate) => candidate.score),
                'llmr.routing.excluded': (event.excluded ?? []).map(
                  (excluded) => `${excluded.modelId}: ${excluded.reason}`,
                ),
                'llmr.routing.requested': event.requested ?? '',
                ...(candidates[0]
                  ? { [LlmrAttribute.routingSelected]: candidates[0].modelId }
                  : {}),
                ...(event.route ? { [LlmrAttribute.route]: event.route } : {}),
              },
            },
            parent(),
          )
          .end();
        return;
      }
      case 'attempt-start': {
        const state = stateOf(requestId);
        state.open?.end();
        state.attempts += 1;
        const kind =
          (event.retry ?? 0) > 0
            ? 'retry'
            : state.lastModel !== undefined && state.lastModel !== modelId
              ? 'fallback'
              : 'first';
        state.lastModel = modelId;
        const attemptParent = parent();
        state.open = tracer.startSpan(
          `llmr.attempt ${modelId}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              [LlmrAttribute.attemptNumber]: state.attempts,
              [LlmrAttribute.attemptKind]: kind,
              [GenAiAttribute.requestModel]: modelId,
            },
          },
          attemptParent,
        );
        setAttemptContext(requestId, trace.setSpan(attemptParent, state.open));
        return;
      }
      case 'attempt-error': {
        const state = requests.get(requestId);
        if (state?.open) {
          if (event.error) failSpan(state.open, event.error);
          state.open.end();
          state.open = undefined;
          setAttemptContext(requestId, undefined);
        }
        return;
      }
      case 'first-token':
        if (event.ttftMs !== undefined) {
          requests
            .get(requestId)
            ?.open?.setAttribute(LlmrAttribute.timeToFirstToken, event.ttftMs / 1000);
        }
        return;
      case 'request-finish': {
        requests.get(requestId)?.open?.setAttributes({
          [GenAiAttribute.responseModel]: modelId,
          ...(event.costUsd !== undefined ? { 'llmr.cost_usd': event.costUsd } : {}),
        });
        finish(requestId);
        return;
      }
      case 'request-error':
        finish(requestId, event.error);
        return;
      case 'model-load':
        tracer
          .startSpan(
            'llmr.model.load',
            {
              attributes: { [GenAiAttribute.requestModel]: modelId },
              startTime: Date.now() - (event.durationMs ?? 0),
            },
            callContextOf(event.requestId) ?? context.active(),
          )
          .end();
        return;
    }
  };
  // Subscribed only while step spans are wanted: a router with no listener does not even
  // build its events, so tracing that is off (or per request only) costs the router nothing.
  let unsubscribe: (() => void) | undefined;
  const follow = () => {
    if (isStepTracingEnabled() && !unsubscribe) unsubscribe = router.subscribe(listener);
    else if (!isStepTracingEnabled() && unsubscribe) {
      unsubscribe();
      unsubscribe = undefined;
      for (const state of requests.values()) state.open?.end();
      requests.clear();
    }
  };
  follow();
  const stopFollowing = onTracingChange(follow);
  return () => {
    stopFollowing();
    unsubscribe?.();
    unsubscribe = undefined;
  };
}
