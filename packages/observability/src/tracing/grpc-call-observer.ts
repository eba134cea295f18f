/**
 * Each generating gRPC call as a SERVER span with the RPC and GenAI attributes (method,
 * status code, operation, requested and serving model, token usage), continuing the
 * caller's trace from the `traceparent` metadata, and counted in the SLOs like a REST
 * request. `@llmr/server-grpc` calls this observer for every generating call
 * (`GrpcCallObserver`, typed structurally here: server-grpc is not a dependency); the
 * routing, attempt and model spans nest under the call's span.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import type { SloMonitor } from '../slo/slo-monitor';
import { GenAiAttribute, LlmrAttribute } from './gen-ai-attributes';
import { extractTraceContext } from './spans';
import {
  bodyAttributes,
  endSurfaceSpan,
  runInSpanContext,
  type SurfaceOutcome,
} from './surface-spans';
import { isTracingEnabled, llmrTracer } from './tracing-state';

export interface GrpcCallInfoLike {
  /** `/llmr.v1.GenerationService/Chat` */
  method: string;
  /** `grpc.chat`, `grpc.completion` */
  route: string;
  requestId: string;
  model: string;
  stream: boolean;
  body: object;
  metadata: Record<string, string>;
}

export interface GrpcCallOutcomeLike extends SurfaceOutcome {
  /** The gRPC status code (0 is OK). */
  code: number;
}

export interface GrpcCallObserverLike {
  call(
    info: GrpcCallInfoLike,
    run: () => Promise<GrpcCallOutcomeLike>,
  ): Promise<GrpcCallOutcomeLike>;
}

/** The key `@llmr/server-grpc` reads its observer from (`GRPC_CALL_OBSERVER`). */
const GRPC_CALL_OBSERVER = Symbol.for('llmr.grpc-call-observer');

/** Makes `observer` the one a gRPC server built from `options` (e.g. `server.shared`) calls. */
export function setGrpcCallObserver(options: object, observer: GrpcCallObserverLike): void {
  (options as Record<symbol, GrpcCallObserverLike>)[GRPC_CALL_OBSERVER] = observer;
}

/** `/llmr.v1.GenerationService/Chat` -> service `llmr.v1.GenerationService`, method `Chat`. */
function splitMethod(path: string): { service: string; method: string } {
  const [service = '', method = ''] = path.replace(/^\//, '').split('/');
  return { service, method };
}

export function createGrpcCallObserver(
  options: {
    slo?: SloMonitor;
    /** The tenant of a call, from its metadata (credentials are not passed). */
    tenantOf?: (metadata: Record<string, string>) => string | undefined;
    onError?: (error: unknown) => void;
  } = {},
): GrpcCallObserverLike {
  const record = (info: GrpcCallInfoLike, outcome: GrpcCallOutcomeLike, startedAt: number) => {
    // Like REST: only a call that reached a model counts for its model's SLOs.
    if (!options.slo || !outcome.routing) return;
    const tenant = options.tenantOf?.(info.metadata);
    options.slo
      .record({
        route: info.route,
        model: outcome.routing.model,
        ...(tenant ? { tenant } : {}),
        ok: outcome.status < 500,
        durationMs: performance.now() - startedAt,
      })
      .catch((error: unknown) => options.onError?.(error));
  };

  return {
    async call(info, run) {
      const startedAt = performance.now();
      if (!isTracingEnabled()) {
        const outcome = await run();
        record(info, outcome, startedAt);
        return outcome;
      }
      const parent = extractTraceContext(info.metadata);
      const { service, method } = splitMethod(info.method);
      const span = llmrTracer().startSpan(
        `${service}/${method}`,
        {
          kind: SpanKind.SERVER,
          attributes: bodyAttributes(info.body, {
            'rpc.system': 'grpc',
            'rpc.service': service,
            'rpc.method': method,
            [GenAiAttribute.operationName]:
              info.route === 'grpc.completion' ? 'text_completion' : 'chat',
            [GenAiAttribute.requestModel]: info.model,
            [LlmrAttribute.route]: info.route,
            [LlmrAttribute.stream]: info.stream,
            'llmr.request_id': info.requestId,
            ...(info.metadata['user-agent']
              ? { 'user_agent.original': info.metadata['user-agent'] }
              : {}),
          }),
        },
        parent,
      );
      const outcome = await runInSpanContext(trace.setSpan(parent, span), info.requestId, run);
      endSurfaceSpan(span, outcome, { 'rpc.grpc.status_code': outcome.code });
      record(info, outcome, startedAt);
      return outcome;
    },
  };
}
