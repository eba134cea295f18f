/**
 * A hook for an observability layer around each generating gRPC call (a span per call,
 * SLO events), like the WebSocket observer of `@llmr/server`. It is found on the server's
 * options under a `Symbol.for` key too, so a layer wired after the REST server was built
 * (`observeServer` sets it on `server.shared`) reaches the gRPC server without either
 * package depending on the other.
 */
import type { ModelV1Usage } from '@llmr/core';
import type { RoutingSummary } from '@llmr/server';

export interface GrpcCallInfo {
  /** The full method, e.g. `/llmr.v1.GenerationService/Chat`. */
  method: string;
  /** The route it is counted under, as in the in-flight list: `grpc.chat`, `grpc.completion`. */
  route: string;
  requestId: string;
  /** The model the client asked for (an id, an alias or `auto`). */
  model: string;
  stream: boolean;
  /** The OpenAI-shaped body the call became (sampling parameters, ...). */
  body: object;
  /** The call's text metadata (lower-case keys, first value): `traceparent`, `user-agent`, ... */
  metadata: Record<string, string>;
}

export interface GrpcCallOutcome {
  /** What REST would have answered: 200, or the failure's HTTP status. */
  status: number;
  /** The gRPC status code the client got (0 is OK). */
  code: number;
  routing?: RoutingSummary;
  usage?: ModelV1Usage;
  error?: unknown;
}

export interface GrpcCallObserver {
  /**
   * Runs one generating call. `run` never throws: it resolves with how the call went (the
   * handler answers the client afterwards). The observer may run it in a context of its
   * own (a span's), so that what the generation does nests under it.
   */
  call(info: GrpcCallInfo, run: () => Promise<GrpcCallOutcome>): Promise<GrpcCallOutcome>;
}

export const GRPC_CALL_OBSERVER = Symbol.for('llmr.grpc-call-observer');

/** Sets the observer on an options object (such as `server.shared`) that `createGrpcServer` will read. */
export function setGrpcCallObserver(options: object, observer: GrpcCallObserver | undefined): void {
  (options as Record<symbol, GrpcCallObserver | undefined>)[GRPC_CALL_OBSERVER] = observer;
}

export function grpcCallObserverOf(options: object): GrpcCallObserver | undefined {
  return (options as Record<symbol, GrpcCallObserver | undefined>)[GRPC_CALL_OBSERVER];
}
