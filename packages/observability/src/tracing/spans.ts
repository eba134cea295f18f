/**
 * Span helpers for each step of a request: HTTP, auth and limits, the routing decision,
 * every attempt (first, retry, fallback), the model lease, the upstream HTTP call. Each
 * runs the wrapped work inside its span's context (so child spans nest under it), marks the
 * span as an error when the work throws, and ends it. When tracing is off they call the
 * work directly.
 */
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { GenAiAttribute, LlmrAttribute } from './gen-ai-attributes';
import { ambientContext } from './request-contexts';
import { isStepTracingEnabled, isTracingEnabled, llmrTracer } from './tracing-state';

/** Handed to the work when tracing is off: every method is a no-op. */
export const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export interface WithSpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
  /** Parent context; default: the active one. */
  parent?: Context;
}

/** The conventions' `error.type` of an error: its stable code, else its class name. */
export function errorTypeOf(error: unknown): string {
  return String(
    (error as { code?: unknown })?.code ?? (error as { name?: unknown })?.name ?? 'Error',
  );
}

/** Marks a span failed with the error's type and message (the conventions' `error.type`). */
export function recordSpanError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.setAttribute(GenAiAttribute.errorType, errorTypeOf(error));
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

export async function withSpan<T>(
  name: string,
  options: WithSpanOptions,
  work: (span: Span) => Promise<T> | T,
): Promise<T> {
  if (!isStepTracingEnabled()) return work(NOOP_SPAN);
  const parent = options.parent ?? context.active();
  const span = llmrTracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    recordSpanError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

type HeaderCarrier = Record<string, string | string[] | undefined>;

/** One getter for every request (a propagator calls it once per header it knows). */
const HEADER_GETTER = {
  keys: (carrier: HeaderCarrier) => Object.keys(carrier),
  get: (carrier: HeaderCarrier, key: string) => {
    const value = carrier[key.toLowerCase()] ?? carrier[key];
    return Array.isArray(value) ? value[0] : value;
  },
};

/** Reads a W3C `traceparent`/`tracestate` from incoming headers into a context. */
export function extractTraceContext(headers: HeaderCarrier): Context {
  if (!isTracingEnabled()) return context.active();
  return propagation.extract(context.active(), headers, HEADER_GETTER);
}

/**
 * Writes the current span's `traceparent` (and `tracestate`) into outgoing headers: the
 * ambient context of a model call starting (see `request-contexts.ts`), else the active one.
 */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  if (isTracingEnabled()) propagation.inject(ambientContext() ?? context.active(), headers);
  return headers;
}

export interface RoutingDecision {
  strategy: string;
  candidates: readonly string[];
  /** One score per candidate, in the same order, where the strategy scores. */
  scores?: readonly number[];
  selected?: string;
}

export function traceRoutingDecision<T>(
  decide: (record: (decision: RoutingDecision) => void) => Promise<T> | T,
): Promise<T> {
  return withSpan('llmr.route', {}, (span) =>
    decide((decision) => {
      if (!span.isRecording()) return;
      span.setAttributes({
        [LlmrAttribute.routingStrategy]: decision.strategy,
        [LlmrAttribute.routingCandidates]: [...decision.candidates],
        ...(decision.scores ? { [LlmrAttribute.routingScores]: [...decision.scores] } : {}),
        ...(decision.selected ? { [LlmrAttribute.routingSelected]: decision.selected } : {}),
      });
    }),
  );
}

export type AttemptKind = 'first' | 'retry' | 'fallback';

export function traceAttempt<T>(
  attempt: { number: number; kind: AttemptKind; model: string },
  work: (span: Span) => Promise<T> | T,
): Promise<T> {
  return withSpan(
    `llmr.attempt ${attempt.model}`,
    {
      attributes: isStepTracingEnabled()
        ? {
            [LlmrAttribute.attemptNumber]: attempt.number,
            [LlmrAttribute.attemptKind]: attempt.kind,
            [GenAiAttribute.requestModel]: attempt.model,
          }
        : undefined,
    },
    work,
  );
}

/** The wait for a model: a pool lease, and the lazy load when the model was not resident. */
export function traceModelLease<T>(
  model: string,
  work: (markLoaded: (loaded: boolean) => void) => Promise<T> | T,
): Promise<T> {
  const started = performance.now();
  return withSpan(
    'llmr.model.lease',
    { attributes: isStepTracingEnabled() ? { [GenAiAttribute.requestModel]: model } : undefined },
    async (span) => {
      const result = await work((loaded) => span.setAttribute(LlmrAttribute.leaseLoaded, loaded));
      span.setAttribute(LlmrAttribute.leaseWaitMs, performance.now() - started);
      return result;
    },
  );
}

/** Auth, tenant resolution, rate and budget limits. */
export function traceAccessCheck<T>(work: (span: Span) => Promise<T> | T): Promise<T> {
  return withSpan('llmr.access', {}, work);
}

type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that opens a CLIENT span per call (HTTP semantic conventions) and injects
 * `traceparent`, so an upstream that traces continues the same trace.
 */
export function createTracedFetch(fetchImplementation: FetchLike = fetch): FetchLike {
  return async (input, init) => {
    if (!isStepTracingEnabled()) return fetchImplementation(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (
      init?.method ?? (input instanceof Request ? input.method : 'GET')
    ).toUpperCase();
    const parent = ambientContext() ?? context.active();
    return withSpan(
      method,
      {
        parent,
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': method,
          'url.full': url.href,
          'server.address': url.hostname,
          'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        },
      },
      async (span) => {
        const headers = new Headers(
          init?.headers ?? (input instanceof Request ? input.headers : {}),
        );
        propagation.inject(trace.setSpan(parent, span), headers, {
          set: (carrier, key, value) => carrier.set(key, value),
        });
        const response = await fetchImplementation(input, { ...init, headers });
        span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 500) {
          span.setAttribute(GenAiAttribute.errorType, String(response.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return response;
      },
    );
  };
}
