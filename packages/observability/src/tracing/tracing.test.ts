import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectStream, generate } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../__fixtures__/otlp-receiver';
import { createGenAiMetrics } from '../metrics/gen-ai-metrics';
import { traceRouterEvents } from './router-tracer';
import { setupTracing, type TracingHandle, tracingWantedByEnvironment } from './setup-tracing';
import {
  createTracedFetch,
  extractTraceContext,
  traceAttempt,
  traceModelLease,
  traceRoutingDecision,
  withSpan,
} from './spans';
import { traceModel } from './traced-model';
import { isTracingEnabled } from './tracing-state';

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING_PARENT = '00f067aa0ba902b7';

describe('tracing off', () => {
  it('runs the work without spans when no provider is registered', async () => {
    expect(isTracingEnabled()).toBe(false);
    const handle = await setupTracing({ env: {} });
    expect(handle.enabled).toBe(false);
    const result = await withSpan('x', {}, (span) => {
      expect(span.isRecording()).toBe(false);
      return 42;
    });
    expect(result).toBe(42);
  });

  it('reads the standard OTEL_* variables', () => {
    expect(tracingWantedByEnvironment({})).toBe(false);
    expect(tracingWantedByEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' })).toBe(true);
    expect(tracingWantedByEnvironment({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(
      tracingWantedByEnvironment({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }),
    ).toBe(false);
  });

  it('rejects a sample ratio outside 0..1 with a message that names the setting', async () => {
    await expect(setupTracing({ enabled: true, sampleRatio: 2 })).rejects.toThrow(
      /sample ratio must be a number from 0 to 1.*OTEL_TRACES_SAMPLER_ARG/,
    );
  });

  it('samples every new trace at ratio 1, none at ratio 0, and follows a sampled caller either way', async () => {
    const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace');
    const recording = async (sampleRatio: number) => {
      const handle = await setupTracing({ exporter: new InMemorySpanExporter(), sampleRatio });
      try {
        const sampled = extractTraceContext({
          traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`,
        });
        const tracer = trace.getTracer('sampling-test');
        return [
          tracer.startSpan('new trace', {}, ROOT_CONTEXT).isRecording(),
          tracer.startSpan('under a sampled caller', {}, sampled).isRecording(),
        ];
      } finally {
        await handle.shutdown();
      }
    };
    expect(await recording(1)).toEqual([true, true]);
    expect(await recording(0)).toEqual([false, true]);
  });

  it('rejects an OTLP protocol it cannot export with, from the config or the environment', async () => {
    await expect(setupTracing({ enabled: true, protocol: 'grpc' as never })).rejects.toThrow(
      /"http\/protobuf" or "http\/json".*got "grpc".*OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/,
    );
    await expect(
      setupTracing({ enabled: true, env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' } }),
    ).rejects.toMatchObject({ code: 'invalid-tracing-config' });
  });
});

// These compose the generic span helpers (`withSpan`, `traceAttempt`, ...) the way a user's
// own code would, nesting across awaits through the active context: that takes the opt-in
// AsyncLocalStorage context manager. The server's own tree needs none (see
// observability-plugin.test.ts).
describe('a traced request through a fallback, exported over OTLP/HTTP (AsyncLocalStorage context manager)', () => {
  let receiver: OtlpReceiver;
  let tracing: TracingHandle;
  let upstreamHeaders: Record<string, string | string[] | undefined> = {};
  let upstreamUrl: string;
  const upstream = createServer((request, response) => {
    upstreamHeaders = request.headers;
    response.writeHead(200).end('ok');
  });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1/chat`;
    tracing = await setupTracing({
      endpoint: receiver.url,
      serviceName: 'llmr-test',
      contextManager: 'async-local-storage',
      batch: { scheduledDelayMillis: 20 },
    });
  });

  afterAll(async () => {
    await tracing.shutdown();
    await receiver.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('puts the failed and the successful attempt under the caller’s trace with GenAI attributes', async () => {
    const registry = new Registry();
    const metrics = createGenAiMetrics(registry);
    const failing = traceModel(createMockModel({ id: 'primary', failFirstCalls: 1 }), { metrics });
    const backup = traceModel(
      createMockModel({ id: 'backup', mode: 'script', replies: ['Hello'] }),
      {
        metrics,
      },
    );
    const tracedFetch = createTracedFetch();

    const parent = extractTraceContext({
      traceparent: `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`,
    });
    const text = await withSpan(
      'POST /v1/chat/completions',
      { kind: SpanKind.SERVER, parent, attributes: { 'http.request.method': 'POST' } },
      async () => {
        const order = await traceRoutingDecision((record) => {
          record({
            strategy: 'fallback-chain',
            candidates: ['primary', 'backup'],
            scores: [1, 0.5],
            selected: 'primary',
          });
          return [failing, backup];
        });
        for (const [index, model] of order.entries()) {
          try {
            return await traceAttempt(
              { number: index + 1, kind: index === 0 ? 'first' : 'fallback', model: model.info.id },
              async () => {
                await traceModelLease(model.info.id, (markLoaded) => markLoaded(false));
                const { stream } = await model.doStream({
                  messages: [{ role: 'user', content: 'hi' }],
                  temperature: 0.2,
                  maxTokens: 8,
                });
                const result = await collectStream(stream);
                await tracedFetch(upstreamUrl, { method: 'POST', body: '{}' });
                return result.text;
              },
            );
          } catch (error) {
            if (index === order.length - 1) throw error;
          }
        }
        throw new Error('unreachable');
      },
    );
    expect(text).toBe('Hello');
    await tracing.forceFlush();
    const spans = await receiver.waitForSpans(9);

    // OTLP/protobuf by default, as the OpenTelemetry spec has it.
    expect(receiver.contentTypes.length).toBeGreaterThan(0);
    expect(receiver.contentTypes.every((type) => type.startsWith('application/x-protobuf'))).toBe(
      true,
    );
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([INCOMING_TRACE]));
    expect(spans.every((span) => span.serviceName === 'llmr-test')).toBe(true);
    const byName = (name: string) => spans.filter((span) => span.name === name);
    const [server] = byName('POST /v1/chat/completions');
    expect(server?.parentSpanId).toBe(INCOMING_PARENT);
    const [route] = byName('llmr.route');
    expect(route?.parentSpanId).toBe(server?.spanId);
    expect(route?.attributes['llmr.routing.candidates']).toEqual(['primary', 'backup']);
    expect(route?.attributes['llmr.routing.scores']).toEqual([1, 0.5]);

    const [failed] = byName('llmr.attempt primary');
    const [succeeded] = byName('llmr.attempt backup');
    expect(failed?.statusCode).toBe(SpanStatusCode.ERROR);
    expect(failed?.attributes['llmr.attempt.kind']).toBe('first');
    expect(succeeded?.statusCode).not.toBe(SpanStatusCode.ERROR);
    expect(succeeded?.attributes['llmr.attempt.kind']).toBe('fallback');
    expect(failed?.parentSpanId).toBe(server?.spanId);
    expect(succeeded?.parentSpanId).toBe(server?.spanId);

    const [failedChat] = byName('chat primary');
    expect(failedChat?.parentSpanId).toBe(failed?.spanId);
    expect(failedChat?.statusCode).toBe(SpanStatusCode.ERROR);
    expect(failedChat?.attributes['error.type']).toBeDefined();
    const [chat] = byName('chat backup');
    expect(chat?.parentSpanId).toBe(succeeded?.spanId);
    expect(chat?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'backup',
      'gen_ai.response.model': 'backup',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 8,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(chat?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(chat?.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(chat?.attributes['llmr.gen_ai.time_to_first_token']).toBeGreaterThanOrEqual(0);

    const [lease] = byName('llmr.model.lease').filter(
      (span) => span.parentSpanId === succeeded?.spanId,
    );
    expect(lease?.attributes['llmr.model.loaded_now']).toBe(false);
    const [upstreamCall] = byName('POST');
    expect(upstreamCall?.kind).toBe(3); // CLIENT in OTLP's enum
    expect(upstreamCall?.parentSpanId).toBe(succeeded?.spanId);
    expect(upstreamHeaders.traceparent).toBe(`00-${INCOMING_TRACE}-${upstreamCall?.spanId}-01`);

    const exposition = await registry.metrics();
    expect(exposition).toMatch(
      /gen_ai_server_request_duration_seconds_count\{[^}]*gen_ai_request_model="backup"[^}]*\} 1/,
    );
    expect(exposition).toMatch(
      /gen_ai_client_token_usage_count\{[^}]*gen_ai_token_type="output"[^}]*\} 1/,
    );
    expect(exposition).toMatch(
      /gen_ai_server_time_to_first_token_seconds_count\{[^}]*"backup"[^}]*\} 1/,
    );
  });

  it('through the real router: the decision and both attempts share the caller’s trace', async () => {
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const router = createRouter({
      models: [
        { id: 'broken', model: traceModel(createMockModel({ id: 'broken', failFirstCalls: 100 })) },
        {
          id: 'good',
          model: traceModel(createMockModel({ id: 'good', mode: 'script', replies: ['fine'] })),
        },
      ],
      routes: { chain: { fallback: ['broken', 'good'] } },
      retry: { maxRetries: 0 },
    });
    const stop = traceRouterEvents(router);
    const text = await withSpan(
      'POST /v1/chat/completions',
      {
        kind: SpanKind.SERVER,
        parent: extractTraceContext({ traceparent: `00-${traceId}-${INCOMING_PARENT}-01` }),
      },
      async () => {
        const { stream } = await router.stream({
          model: 'chain',
          messages: [{ role: 'user', content: 'hi' }],
          temperature: 0.5,
        });
        return (await collectStream(stream)).text;
      },
    );
    stop();
    expect(text).toBe('fine');
    await tracing.forceFlush();
    const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    await receiver.waitForSpans(receiver.spans.length - inTrace().length + 6);
    const spans = inTrace();
    const named = (name: string) => spans.find((span) => span.name === name);
    const server = named('POST /v1/chat/completions');
    expect(named('llmr.route')?.attributes).toMatchObject({
      'llmr.routing.candidates': ['broken', 'good'],
      'llmr.routing.selected': 'broken',
    });
    const failed = named('llmr.attempt broken');
    const succeeded = named('llmr.attempt good');
    expect(failed).toMatchObject({
      statusCode: SpanStatusCode.ERROR,
      parentSpanId: server?.spanId,
    });
    expect(failed?.attributes).toMatchObject({
      'llmr.attempt.number': 1,
      'llmr.attempt.kind': 'first',
      'error.type': 'mock-failure',
    });
    expect(succeeded?.statusCode).not.toBe(SpanStatusCode.ERROR);
    expect(succeeded?.attributes).toMatchObject({
      'llmr.attempt.number': 2,
      'llmr.attempt.kind': 'fallback',
      'gen_ai.request.model': 'good',
      'gen_ai.response.model': 'good',
    });
    expect(named('chat broken')?.statusCode).toBe(SpanStatusCode.ERROR);
    expect(named('chat good')?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'good',
      'gen_ai.request.temperature': 0.5,
    });
    expect(named('chat good')?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });

  it('a non-streaming call is traced too', async () => {
    const model = traceModel(createMockModel({ id: 'plain', mode: 'script', replies: ['ok'] }));
    const before = receiver.spans.length;
    const result = await generate(model, { prompt: 'x' });
    expect(result.text).toBe('ok');
    await tracing.forceFlush();
    const spans = await receiver.waitForSpans(before + 1);
    const span = spans.find((candidate) => candidate.name === 'text_completion plain');
    expect(span?.attributes['gen_ai.operation.name']).toBe('text_completion');
  });
});
