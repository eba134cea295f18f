/** What the plugin keeps on each Fastify request between its hooks. */
import type { Context, Span } from '@opentelemetry/api';
import type { ExperimentVariant } from '../experiments/experiment-definition';

export interface ObservedRequest {
  startedAt: number;
  span: Span | undefined;
  /** The span's context, bound to the request id while the request runs (full tracing only). */
  traceContext?: Context;
  route: string;
  assignments: { experimentId: string; variant: ExperimentVariant }[];
  responseId: string | undefined;
  timeToFirstTokenMs: number | undefined;
  /** Input and output tokens from the answer, read only when the request span is the only one. */
  usage: [number, number] | undefined;
}

/** The Fastify request decoration that holds it. */
export const REQUEST_STATE = 'llmrObservability';

export function stateOf(request: object): ObservedRequest | undefined {
  return (
    (request as Record<string, ObservedRequest | null | undefined>)[REQUEST_STATE] ?? undefined
  );
}

/**
 * For the server's generation code: the first token reached the client now. It feeds the
 * time-to-first-token SLO and the experiment's TTFT metric.
 */
export function markFirstToken(request: object): void {
  const state = stateOf(request);
  if (state && state.timeToFirstTokenMs === undefined) {
    state.timeToFirstTokenMs = performance.now() - state.startedAt;
  }
}
