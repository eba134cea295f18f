/**
 * Turns tracing on for a process (server, CLI): the OTel SDK with an OTLP/HTTP exporter,
 * W3C trace-context propagation and async context tracking. Off unless the config or the
 * standard `OTEL_*` variables ask for it. The SDK packages are optional peer dependencies,
 * imported here only, so a library user who never calls this never loads them.
 */
import { context, propagation, type TextMapPropagator, trace } from '@opentelemetry/api';
import { importOptional, ObservabilityError } from '../errors';
import { createOtlpProtobufExporter } from './otlp-protobuf-exporter';
import {
  type ContextManagerKind,
  setContextManagerKind,
  setTracingDetail,
  setTracingEnabled,
  type TracingDetail,
} from './tracing-state';

export interface TracingConfig {
  /** Default: on when `endpoint` is given, or `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set or `OTEL_TRACES_EXPORTER` is `otlp`; `OTEL_SDK_DISABLED=true` wins. */
  enabled?: boolean;
  /** The OTLP/HTTP traces URL, e.g. `http://127.0.0.1:4318/v1/traces`. Default from the `OTEL_*` variables. */
  endpoint?: string;
  headers?: Record<string, string>;
  /**
   * How spans go over the wire: `http/protobuf` (default, as in the OpenTelemetry spec; the
   * SDK's OTLP/HTTP transport from `@opentelemetry/otlp-exporter-base` with llmr's serializer,
   * which writes the same bytes as `@opentelemetry/otlp-transformer`'s for less CPU; needs
   * both packages) or `http/json` (needs `@opentelemetry/exporter-trace-otlp-http`). Protobuf
   * costs the server a fraction of the CPU of JSON per span and sends less than half the bytes.
   * Default `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, then `OTEL_EXPORTER_OTLP_PROTOCOL`, then
   * `http/protobuf`.
   */
  protocol?: OtlpProtocol;
  /** `service.name`; default `OTEL_SERVICE_NAME`, then `llmr`. */
  serviceName?: string;
  /** Fraction of new traces to sample, 0..1 (a sampled parent is always followed). Default `OTEL_TRACES_SAMPLER_ARG`, then 1. */
  sampleRatio?: number;
  /**
   * A span exporter to use instead of OTLP/HTTP (the SDK's `InMemorySpanExporter` in tests,
   * or any `SpanExporter`); `endpoint` and `headers` are then unused.
   */
  exporter?: object;
  /**
   * `full` (default): the whole span tree (request, routing decision, attempts, model calls,
   * upstream calls). `requests`: one span per request with the routing outcome and GenAI
   * attributes. Default `LLMR_TRACING_DETAIL`, then `full`.
   */
  detail?: TracingDetail;
  /**
   * `none` (default): llmr nests its spans by request id (see `request-contexts.ts`), with no
   * async context manager. `async-local-storage`: also install OpenTelemetry's
   * AsyncLocalStorage context manager, for spans of your own or of third-party
   * instrumentations that nest through the active context (`withSpan` and friends, across
   * awaits). On Node 20 it slows every promise of the process: measure before turning it on.
   * Default `LLMR_TRACING_CONTEXT_MANAGER`, then `none`.
   */
  contextManager?: ContextManagerKind;
  /** Batching of the exporter; tests set a short delay. */
  batch?: { scheduledDelayMillis?: number; maxExportBatchSize?: number; maxQueueSize?: number };
  /** Reads the environment; default `process.env`. */
  env?: Record<string, string | undefined>;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingHandle {
  readonly enabled: boolean;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const DISABLED: TracingHandle = {
  enabled: false,
  forceFlush: async () => {},
  shutdown: async () => {},
};

export function tracingWantedByEnvironment(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.split(',').some((name) => name.trim() === 'otlp')) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

function ratioOf(config: TracingConfig, env: Record<string, string | undefined>): number {
  const raw =
    config.sampleRatio ?? (env.OTEL_TRACES_SAMPLER_ARG ? Number(env.OTEL_TRACES_SAMPLER_ARG) : 1);
  if (!Number.isFinite(raw) || raw < 0 || raw > 1) {
    throw new ObservabilityError({
      code: 'invalid-tracing-config',
      message: `The trace sample ratio must be a number from 0 to 1, got ${String(raw)}. Set tracing.sampleRatio or OTEL_TRACES_SAMPLER_ARG.`,
    });
  }
  return raw;
}

function detailOf(config: TracingConfig, env: Record<string, string | undefined>): TracingDetail {
  const detail = config.detail ?? env.LLMR_TRACING_DETAIL ?? 'full';
  if (detail !== 'full' && detail !== 'requests') {
    throw new ObservabilityError({
      code: 'invalid-tracing-config',
      message: `The tracing detail must be "full" or "requests", got ${JSON.stringify(detail)}. Set tracing.detail or LLMR_TRACING_DETAIL.`,
    });
  }
  return detail;
}

function protocolOf(config: TracingConfig, env: Record<string, string | undefined>): OtlpProtocol {
  const protocol =
    config.protocol ??
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ObservabilityError({
      code: 'invalid-tracing-config',
      message: `The OTLP protocol must be "http/protobuf" or "http/json" (gRPC export is not built in), got ${JSON.stringify(protocol)}. Set tracing.protocol or OTEL_EXPORTER_OTLP_TRACES_PROTOCOL.`,
    });
  }
  return protocol;
}

function contextManagerOf(
  config: TracingConfig,
  env: Record<string, string | undefined>,
): ContextManagerKind {
  const kind = config.contextManager ?? env.LLMR_TRACING_CONTEXT_MANAGER ?? 'none';
  if (kind !== 'none' && kind !== 'async-local-storage') {
    throw new ObservabilityError({
      code: 'invalid-tracing-config',
      message: `The tracing context manager must be "none" or "async-local-storage", got ${JSON.stringify(kind)}. Set tracing.contextManager or LLMR_TRACING_CONTEXT_MANAGER.`,
    });
  }
  return kind;
}

interface SdkTrace {
  TracerProvider: new (
    options: object,
  ) => {
    forceFlush(): Promise<void>;
    shutdown(): Promise<void>;
  };
  BatchSpanProcessor: new (options: { exporter: unknown }) => unknown;
  ParentBasedSampler: new (options: { root: unknown }) => unknown;
  TraceIdRatioBasedSampler: new (ratio: number) => unknown;
  AlwaysOnSampler: new () => unknown;
}

export async function setupTracing(config: TracingConfig = {}): Promise<TracingHandle> {
  const env = config.env ?? process.env;
  const enabled =
    config.enabled ??
    (config.endpoint !== undefined ||
      config.exporter !== undefined ||
      tracingWantedByEnvironment(env));
  if (!enabled) {
    setTracingEnabled(false);
    return DISABLED;
  }
  const sampleRatio = ratioOf(config, env);
  const detail = detailOf(config, env);
  const contextManagerKind = contextManagerOf(config, env);
  const protocol = config.exporter ? undefined : protocolOf(config, env);
  const feature = 'Tracing (setupTracing)';
  const otlpOptions = {
    ...(config.endpoint ? { url: config.endpoint } : {}),
    ...(config.headers ? { headers: config.headers } : {}),
  };
  const exporterFeature = `Tracing over OTLP ${protocol} (setupTracing; tracing.protocol or OTEL_EXPORTER_OTLP_TRACES_PROTOCOL chooses the other)`;
  const [sdk, otlpExporter, resources, core, contextModule] = await Promise.all([
    importOptional<SdkTrace>('@opentelemetry/sdk-trace', feature),
    protocol === 'http/protobuf'
      ? createOtlpProtobufExporter(otlpOptions, exporterFeature)
      : protocol === 'http/json'
        ? importOptional<{ OTLPTraceExporter: new (options: object) => object }>(
            '@opentelemetry/exporter-trace-otlp-http',
            exporterFeature,
          ).then((module) => new module.OTLPTraceExporter(otlpOptions))
        : undefined,
    importOptional<{ resourceFromAttributes: (attributes: object) => unknown }>(
      '@opentelemetry/resources',
      feature,
    ),
    importOptional<{
      W3CTraceContextPropagator: new () => TextMapPropagator;
      W3CBaggagePropagator: new () => TextMapPropagator;
      CompositePropagator: new (options: { propagators: TextMapPropagator[] }) => TextMapPropagator;
    }>('@opentelemetry/core', feature),
    contextManagerKind === 'async-local-storage'
      ? importOptional<{ AsyncLocalStorageContextManager: new () => { enable(): unknown } }>(
          '@opentelemetry/context-async-hooks',
          feature,
        )
      : undefined,
  ]);
  const exporter = config.exporter ?? otlpExporter;
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({
      'service.name': config.serviceName ?? env.OTEL_SERVICE_NAME ?? 'llmr',
    }),
    sampler: new sdk.ParentBasedSampler({
      // Every trace kept: the ratio sampler would still read each new trace id to decide.
      root:
        sampleRatio === 1
          ? new sdk.AlwaysOnSampler()
          : new sdk.TraceIdRatioBasedSampler(sampleRatio),
    }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, ...config.batch })],
  });
  if (contextModule) {
    const contextManager = new contextModule.AsyncLocalStorageContextManager();
    contextManager.enable();
    context.setGlobalContextManager(contextManager as never);
  }
  propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider as never);
  setContextManagerKind(contextManagerKind);
  setTracingDetail(detail);
  setTracingEnabled(true);
  return {
    enabled: true,
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      setContextManagerKind('none');
      setTracingDetail('full');
      setTracingEnabled(undefined);
    },
  };
}
