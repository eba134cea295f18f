/**
 * Spans from the router's event stream: the routing decision (strategy, candidates,
 * scores, exclusions) and every attempt (first, retry, fallback) with its outcome. Each
 * event names its request: the spans start under the context bound to that request id (see
 * `request-contexts.ts`), else under the active context (the caller's, when a context
 * manager is installed). Typed structurally: the router is not a dependency.
 */
import {
  type Attributes,
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

const endOpenSpan = (dropped: RequestState) => dropped.open?.end();

function failSpan(span: Span, error: EventError): void {
  span.setAttribute(GenAiAttribute.errorType, error.code ?? error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** Where a request's routing and attempt spans start: under its bound context, else the active one. */
function parentOf(requestId: string | undefined): Context {
  return requestContextOf(requestId) ?? context.active();
}

/** The routing decision's attributes, built only for a span that records them. */
function routeAttributes(event: RouterEventLike): Attributes {
  const candidates = event.candidates ?? [];
  const modelIds: string[] = new Array(candidates.length);
  const scores: number[] = new Array(candidates.length);
  for (let index = 0; index < candidates.length; index++) {
    modelIds[index] = candidates[index]!.modelId;
    scores[index] = candidates[index]!.score;
  }
  const attributes: Attributes = {
    [LlmrAttribute.routingStrategy]: event.strategy ?? '',
    [LlmrAttribute.routingCandidates]: modelIds,
    [LlmrAttribute.routingScores]: scores,
    'llmr.routing.requested': event.requested ?? '',
  };
  if (modelIds.length > 0) attributes[LlmrAttribute.routingSelected] = modelIds[0];
  if (event.route) attributes[LlmrAttribute.route] = event.route;
  // Only when the strategy excluded something: an empty list is one more attribute to check,
  // copy and export on every request.
  const excluded = event.excluded;
  if (excluded && excluded.length > 0) {
    attributes['llmr.routing.excluded'] = excluded.map(
      (entry) => `${entry.modelId}: ${entry.reason}`,
    );
  }
  return attributes;
}

/** Span names per model, kept so that a request does not build the same string again. */
const attemptNames = new Map<string, string>();
const MAX_ATTEMPT_NAMES = 1_000;

function attemptNameOf(modelId: string): string {
  let name = attemptNames.get(modelId);
  if (name === undefined) {
    name = `llmr.attempt ${modelId}`;
    // Model ids are few; an unbounded stream of new ones just starts the cache over.
    if (attemptNames.size >= MAX_ATTEMPT_NAMES) attemptNames.clear();
    attemptNames.set(modelId, name);
  }
  return name;
}

export function traceRouterEvents(router: RouterEventSource): () => void {
  const requests = new Map<string, RequestState>();
  const stateOf = (requestId: string): RequestState => {
    let state = requests.get(requestId);
    if (!state) {
      state = { attempts: 0, lastModel: undefined, open: undefined };
      setBounded(requests, requestId, state, MAX_OPEN_REQUESTS, endOpenSpan);
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
    switch (event.type) {
      case 'route': {
        const span = llmrTracer().startSpan('llmr.route', undefined, parentOf(event.requestId));
        // A span the sampler dropped records nothing: its attributes are not even built.
        if (span.isRecording()) span.setAttributes(routeAttributes(event));
        span.end();
        return;
      }
      case 'attempt-start': {
        const requestId = event.requestId ?? '';
        const modelId = event.modelId ?? '';
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
        const attemptParent = parentOf(event.requestId);
        state.open = llmrTracer().startSpan(
          attemptNameOf(modelId),
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
        const requestId = event.requestId ?? '';
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
            .get(event.requestId ?? '')
            ?.open?.setAttribute(LlmrAttribute.timeToFirstToken, event.ttftMs / 1000);
        }
        return;
      case 'request-finish': {
        const requestId = event.requestId ?? '';
        const open = requests.get(requestId)?.open;
        if (open) {
          open.setAttribute(GenAiAttribute.responseModel, event.modelId ?? '');
          if (event.costUsd !== undefined) open.setAttribute('llmr.cost_usd', event.costUsd);
        }
        finish(requestId);
        return;
      }
      case 'request-error':
        finish(event.requestId ?? '', event.error);
        return;
      case 'model-load':
        llmrTracer()
          .startSpan(
            'llmr.model.load',
            {
              attributes: { [GenAiAttribute.requestModel]: event.modelId ?? '' },
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
