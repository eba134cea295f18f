/**
 * Whether spans are worth creating. With no tracer provider registered, every helper in
 * this package skips straight to the wrapped work: no span objects, no attribute arrays,
 * no context switches, so tracing that is off costs one boolean read.
 */
import { isSpanContextValid, ROOT_CONTEXT, type Tracer, trace } from '@opentelemetry/api';

export const TRACER_NAME = '@llmr/observability';

/**
 * `full`: the whole span tree (request, routing decision, attempts, model calls, upstream
 * calls), nested by request id (see `request-contexts.ts`). `requests`: one span per
 * request (HTTP, WebSocket message, gRPC call) carrying the routing outcome and the GenAI
 * attributes: cheaper still (see the README).
 */
export type TracingDetail = 'full' | 'requests';

/** Whether `setupTracing` installed an AsyncLocalStorage context manager (opt-in). */
export type ContextManagerKind = 'none' | 'async-local-storage';

let forced: boolean | undefined;
let detail: TracingDetail = 'full';
let contextManagerKind: ContextManagerKind = 'none';
let cachedTracer: Tracer | undefined;
let probed: boolean | undefined;

const changeListeners = new Set<() => void>();

/** Force tracing on or off (`undefined` goes back to detecting a registered provider). */
export function setTracingEnabled(enabled: boolean | undefined): void {
  forced = enabled;
  probed = undefined;
  cachedTracer = undefined;
  for (const listener of changeListeners) listener();
}

/**
 * Called whenever `setTracingEnabled` (or `setupTracing`) may have turned tracing on or
 * off: lets a source of spans stop producing the events it would turn into spans.
 */
export function onTracingChange(listener: () => void): () => void {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

/**
 * True when a tracer provider that records is registered. Probed once (a span started from
 * the root context has a valid id only under a real SDK) and cached until
 * `setTracingEnabled` or `setupTracing` changes the picture.
 */
export function isTracingEnabled(): boolean {
  if (forced !== undefined) return forced;
  if (probed === undefined) {
    const probe = trace.getTracer(TRACER_NAME).startSpan('llmr.probe', {}, ROOT_CONTEXT);
    probed = isSpanContextValid(probe.spanContext());
    // The probe is never ended, so a recording SDK never exports it.
  }
  return probed;
}

/** Sets how much is traced (`setupTracing` does); listeners of `onTracingChange` hear of it. */
export function setTracingDetail(next: TracingDetail): void {
  detail = next;
  for (const listener of changeListeners) listener();
}

export function tracingDetail(): TracingDetail {
  return detail;
}

export function setContextManagerKind(kind: ContextManagerKind): void {
  contextManagerKind = kind;
}

/**
 * True when an async context manager follows the active context across awaits: then a
 * surface also runs its work in its span's context, for spans that nest through it.
 */
export function hasContextManager(): boolean {
  return contextManagerKind !== 'none';
}

/** True when spans for the steps inside a request (routing, attempts, model calls) are wanted. */
export function isStepTracingEnabled(): boolean {
  return detail === 'full' && isTracingEnabled();
}

export function llmrTracer(): Tracer {
  cachedTracer ??= trace.getTracer(TRACER_NAME);
  return cachedTracer;
}
