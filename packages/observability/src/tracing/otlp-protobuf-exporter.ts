/**
 * The OTLP/HTTP protobuf span exporter of `setupTracing`: the SDK's own exporter, put together
 * the way `@opentelemetry/exporter-trace-otlp-proto` puts it together (its transport, retries,
 * timeouts, headers, compression, concurrency limit, self-metrics and the `OTEL_EXPORTER_OTLP_*`
 * variables), with llmr's `serializeSpans` in place of the SDK's serializer: the same bytes
 * for a fraction of the server's CPU. The SDK packages stay optional peers, imported here.
 */
import { importOptional } from '../errors';
import { serializeSpans } from './otlp-span-serializer';

/** `otel.component.type` of the exporter's self-metrics, as the SDK's protobuf exporter names it. */
const COMPONENT_TYPE = 'otlp_http_span_exporter';

export interface OtlpProtobufExporterOptions {
  /** The traces URL; default from the `OTEL_EXPORTER_OTLP_*` variables, as the SDK reads them. */
  url?: string;
  headers?: Record<string, string>;
}

/** A `SpanExporter` (from `OTLPExporterBase`) that sends OTLP/protobuf over HTTP. */
export async function createOtlpProtobufExporter(
  options: OtlpProtobufExporterOptions,
  feature: string,
): Promise<object> {
  const [base, nodeHttp, transformer] = await Promise.all([
    importOptional<typeof import('@opentelemetry/otlp-exporter-base')>(
      '@opentelemetry/otlp-exporter-base',
      feature,
    ),
    importOptional<typeof import('@opentelemetry/otlp-exporter-base/node-http')>(
      '@opentelemetry/otlp-exporter-base/node-http',
      feature,
      '@opentelemetry/otlp-exporter-base',
    ),
    importOptional<typeof import('@opentelemetry/otlp-transformer')>(
      '@opentelemetry/otlp-transformer',
      feature,
    ),
  ]);
  const { ProtobufTraceSerializer, TraceExporterMetricsHelper } = transformer;
  const delegate = nodeHttp.createOtlpHttpExportDelegate(
    nodeHttp.convertLegacyHttpOptions(options, 'TRACES', 'v1/traces', {
      'Content-Type': 'application/x-protobuf',
    }),
    {
      serializeRequest: serializeSpans,
      deserializeResponse: (data: Uint8Array) => ProtobufTraceSerializer.deserializeResponse(data),
    },
    COMPONENT_TYPE,
    TraceExporterMetricsHelper,
    undefined,
  );
  return new base.OTLPExporterBase(delegate);
}
