/**
 * Where each request in flight sits in its trace, found by request id instead of an async
 * context manager. AsyncLocalStorage (what OpenTelemetry's context manager uses) slows
 * every promise of a Node 20 process, whether or not it belongs to a traced request; the
 * llmr server, router and models already carry a request id through every step, so the
 * span tree needs nothing more:
 * - the surface that opened the request's span (HTTP, WebSocket message, gRPC call) binds
 *   the request id to the span's context, and releases it when the request ends;
 * - the router's events carry that id: the routing and attempt spans start under it, and
 *   the open attempt is recorded here too;
 * - the router names the request on each model call (`providerOptions['llmr.router'].requestId`),
 *   so the model's span starts under the attempt;
 * - a model's synchronous start (where a provider calls `fetch`) runs with its span's
 *   context as the *ambient* one, so a traced fetch puts its CLIENT span and `traceparent`
 *   under the model span.
 * A generation inside a request (one of several in a GraphQL query) may carry the id
 * `<request id>/<generation>`: unbound itself, it finds its parent's context.
 */
import type { Context } from '@opentelemetry/api';
import { setBounded } from '../bounded-map';

interface RequestEntry {
  /** The request's own span: routing decisions and attempts start under it. */
  readonly request: Context;
  /** The attempt open now, if any: a model call starts under it. */
  attempt: Context | undefined;
  /** Made for a sub-request id from its parent's entry; dropped when its attempt ends. */
  readonly derived: boolean;
}

/** Requests followed at once; past this the oldest is forgotten (a request that never ended must not leak). */
const MAX_REQUESTS = 10_000;
/**
 * Longer ids are not followed (their spans start under the active context): a request id
 * may come from the client (`x-request-id`), and the map must stay small.
 */
const MAX_ID_LENGTH = 256;

/** Whether a request id is short enough to be kept in a per-request map. */
export function isFollowableRequestId(requestId: string): boolean {
  return requestId.length <= MAX_ID_LENGTH;
}

const entries = new Map<string, RequestEntry>();
let ambient: Context | undefined;

/** The request `requestId` runs in the trace context `traceContext` until `releaseRequestContext`. */
export function bindRequestContext(requestId: string, traceContext: Context): void {
  if (!isFollowableRequestId(requestId)) return;
  setBounded(
    entries,
    requestId,
    { request: traceContext, attempt: undefined, derived: false },
    MAX_REQUESTS,
  );
}

/**
 * Forgets the request. With `traceContext`, only if it is still the one bound: two requests
 * that share a client-chosen id must not release each other.
 */
export function releaseRequestContext(requestId: string, traceContext?: Context): void {
  if (traceContext === undefined || entries.get(requestId)?.request === traceContext)
    entries.delete(requestId);
}

/** The entry of `requestId`, else of the request it is part of (`<request id>/<generation>`). */
function entryOf(requestId: string): RequestEntry | undefined {
  const entry = entries.get(requestId);
  if (entry) return entry;
  const cut = requestId.lastIndexOf('/');
  return cut > 0 ? entries.get(requestId.slice(0, cut)) : undefined;
}

/** The request's own context (for its routing and attempt spans). */
export function requestContextOf(requestId: string | undefined): Context | undefined {
  return requestId === undefined ? undefined : entryOf(requestId)?.request;
}

/** Records (or, with `undefined`, clears) the attempt open now for the request. */
export function setAttemptContext(requestId: string, traceContext: Context | undefined): void {
  let entry = entries.get(requestId);
  if (!entry && traceContext !== undefined && isFollowableRequestId(requestId)) {
    const parent = entryOf(requestId);
    if (!parent) return;
    entry = { request: parent.request, attempt: undefined, derived: true };
    setBounded(entries, requestId, entry, MAX_REQUESTS);
  }
  if (!entry) return;
  if (traceContext === undefined && entry.derived) entries.delete(requestId);
  else entry.attempt = traceContext;
}

/** Where a model call of the request belongs: the open attempt, else the request. */
export function callContextOf(requestId: string | undefined): Context | undefined {
  if (requestId === undefined) return undefined;
  const entry = entryOf(requestId);
  return entry?.attempt ?? entry?.request;
}

/** The router's request id on a model call, where the router names it. */
export function requestIdOfCall(options: {
  providerOptions?: Record<string, Record<string, unknown>>;
}): string | undefined {
  const requestId = options.providerOptions?.['llmr.router']?.requestId;
  return typeof requestId === 'string' ? requestId : undefined;
}

/**
 * Runs `work` with `traceContext` as the ambient context for its synchronous part: what a
 * provider does before its first `await` (building the request, calling `fetch`) sees it.
 */
export function withAmbientContext<T>(traceContext: Context, work: () => T): T {
  const previous = ambient;
  ambient = traceContext;
  try {
    return work();
  } finally {
    ambient = previous;
  }
}

/** The ambient context set by `withAmbientContext`, if its work is running now. */
export function ambientContext(): Context | undefined {
  return ambient;
}
