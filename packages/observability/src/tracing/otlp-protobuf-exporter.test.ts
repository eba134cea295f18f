import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../__fixtures__/otlp-receiver';
import { importOptional } from '../errors';
import { createOtlpProtobufExporter } from './otlp-protobuf-exporter';
import { serializeSpans } from './otlp-span-serializer';
import { setupTracing } from './setup-tracing';

// The real serializer, watched: the tests below must see that their batches went through it.
vi.mock('./otlp-span-serializer', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./otlp-span-serializer')>();
  return { ...actual, serializeSpans: vi.fn(actual.serializeSpans) };
});

interface Exporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

function exportThrough(exporter: Exporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** A batch of real SDK spans like a traced request's. */
function requestSpans(count: number): ReadableSpan[] {
  const recorded = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'llmr-test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: recorded })],
  });
  const tracer = provider.getTracer('@llmr/observability', '0.1.0');
  for (let index = 0; index < count; index++) {
    const span = tracer.startSpan(`chat model-${index % 3}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': `model-${index % 3}`,
        'gen_ai.usage.output_tokens': index,
        'llmr.routing.candidates': ['model-0', 'model-1'],
      },
    });
    span.addEvent('first token', { 'llmr.token.index': 0 });
    span.setStatus({ code: index % 4 === 0 ? SpanStatusCode.ERROR : SpanStatusCode.OK });
    span.end();
  }
  return recorded.getFinishedSpans() as ReadableSpan[];
}

describe('the OTLP/protobuf exporter on the SDK’s transport', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('sends what the SDK’s own protobuf exporter sends, body and headers', async () => {
    const spans = requestSpans(12);
    const ours = (await createOtlpProtobufExporter(
      { url: receiver.url, headers: { 'x-tenant': 'acme' } },
      'test',
    )) as Exporter;
    const sdks = new OTLPTraceExporter({ url: receiver.url, headers: { 'x-tenant': 'acme' } });
    const before = receiver.requests.length;
    vi.mocked(serializeSpans).mockClear();

    expect(await exportThrough(ours, spans)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(await exportThrough(sdks, spans)).toEqual({ code: ExportResultCode.SUCCESS });
    await Promise.all([ours.shutdown(), sdks.shutdown()]);

    expect(vi.mocked(serializeSpans)).toHaveBeenCalledTimes(1);
    const [mine, theirs] = receiver.requests.slice(before);
    expect(mine?.body.equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!))).toBe(
      true,
    );
    expect(mine?.body.equals(theirs?.body ?? Buffer.alloc(0))).toBe(true);
    for (const header of ['content-type', 'user-agent', 'x-tenant', 'content-encoding'])
      expect(mine?.headers[header]).toEqual(theirs?.headers[header]);
    expect(mine?.headers['x-tenant']).toBe('acme');
  });

  it('is what setupTracing exports with for http/protobuf, a batch of several spans at a time', async () => {
    const before = receiver.spans.length;
    vi.mocked(serializeSpans).mockClear();
    const tracing = await setupTracing({
      endpoint: receiver.url,
      serviceName: 'llmr-batch',
      protocol: 'http/protobuf',
      env: {},
      batch: { scheduledDelayMillis: 60_000, maxExportBatchSize: 8 },
    });
    try {
      const tracer = trace.getTracer('llmr-test');
      for (let index = 0; index < 8; index++)
        tracer.startSpan(`step ${index}`, { attributes: { 'llmr.step': index } }).end();
      await tracing.forceFlush();
      const received = (await receiver.waitForSpans(before + 8)).slice(before);
      expect(received.map((span) => span.name).sort()).toEqual(
        Array.from({ length: 8 }, (_, index) => `step ${index}`),
      );
      expect(received.every((span) => span.serviceName === 'llmr-batch')).toBe(true);
      expect(received.find((span) => span.name === 'step 5')?.attributes['llmr.step']).toBe(5);
      const batches = vi.mocked(serializeSpans).mock.calls.map(([spans]) => spans.length);
      expect(batches).toEqual([8]);
    } finally {
      await tracing.shutdown();
    }
  });

  it('names the package to install when an optional import is missing, not the subpath', async () => {
    const missing = importOptional(
      '@opentelemetry/otlp-exporter-base/no-such-export',
      'Tracing over OTLP http/protobuf',
      '@opentelemetry/otlp-exporter-base',
    );
    await expect(missing).rejects.toMatchObject({
      code: 'missing-dependency',
      message:
        'Tracing over OTLP http/protobuf needs the package "@opentelemetry/otlp-exporter-base". Install it: npm i @opentelemetry/otlp-exporter-base',
    });
  });
});
