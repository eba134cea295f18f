import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMockModel } from '@llmr/loader-mock';
import { createOpenAICompatible } from '@llmr/provider-openai';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observabilityPlugin } from '../fastify/observability-plugin';
import { traceRouterEvents } from './router-tracer';
import { setupTracing, type TracingHandle } from './setup-tracing';
import { createTracedFetch } from './spans';
import { traceModel } from './traced-model';
import { hasContextManager } from './tracing-state';

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '30f067aa0ba902b7';

/** A real OpenAI-compatible upstream on loopback: answers "upstream ok", keeps each request's headers. */
function startUpstream() {
  const seen: IncomingHttpHeaders[] = [];
  const server = createHttpServer((request, response) => {
    seen.push(request.headers);
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
      const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
      if (!stream) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'up-1',
            model: 'upstream',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'upstream ok' },
                finish_reason: 'stop',
              },
            ],
            usage,
          }),
        );
        return;
      }
      const chunk = (delta: object, finish: string | null, extra: object = {}) =>
        `data: ${JSON.stringify({ id: 'up-1', model: 'upstream', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(
        chunk({ role: 'assistant', content: 'upstream ok' }, null) +
          chunk({}, 'stop', { usage }) +
          'data: [DONE]\n\n',
      );
    });
  });
  return { server, seen };
}

describe('the server’s span tree with no context manager (request ids carry the parents)', () => {
  const exporter = new InMemorySpanExporter();
  const upstream = startUpstream();
  let tracing: TracingHandle;
  let server: LlmrServer;
  let url = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    const port = (upstream.server.address() as AddressInfo).port;
    tracing = await setupTracing({ exporter, batch: { scheduledDelayMillis: 10 } });
    const provider = createOpenAICompatible({
      baseURL: `http://127.0.0.1:${port}/v1`,
      fetch: createTracedFetch(),
    });
    const router = createRouter({
      models: [
        {
          id: 'broken',
          model: traceModel(createMockModel({ id: 'broken', failFirstCalls: 1_000 })),
        },
        { id: 'remote', model: traceModel(provider('upstream')) },
      ],
      routes: { chain: { fallback: ['broken', 'remote'] } },
      retry: { maxRetries: 0 },
      circuitBreaker: { failureThreshold: 1_000 },
    });
    traceRouterEvents(router);
    server = await createServer({
      backend: createRouterBackend(router),
      logger: false,
      apiKeys: [],
    });
    await server.app.register(observabilityPlugin, { router, routes: false });
    url = await server.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.shutdown();
    await tracing?.shutdown();
    await new Promise((resolve) => upstream.server.close(resolve));
  });

  async function spansOf(trace: string, atLeast: number): Promise<ReadableSpan[]> {
    for (let wait = 0; wait < 100; wait++) {
      await tracing.forceFlush();
      const spans = exporter
        .getFinishedSpans()
        .filter((span) => span.spanContext().traceId === trace);
      if (spans.length >= atLeast) return spans;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`Fewer than ${atLeast} spans arrived for trace ${trace}.`);
  }

  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const idOf = (span: ReadableSpan | undefined) => span?.spanContext().spanId;

  for (const stream of [false, true]) {
    it(`${stream ? 'streaming' : 'non-streaming'}: HTTP → route, attempts → model calls → upstream, one trace`, async () => {
      expect(hasContextManager()).toBe(false);
      const trace = stream ? TRACE.replace(/^5/, '6') : TRACE;
      const upstreamCalls = upstream.seen.length;
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${trace}-${PARENT}-01` },
        body: JSON.stringify({
          model: 'chain',
          stream,
          messages: [{ role: 'user', content: 'hi' }],
          temperature: 0.3,
        }),
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(text).toContain('upstream ok');

      const spans = await spansOf(trace, 7);
      const named = (name: string) => spans.find((span) => span.name === name);
      const http = named('POST /v1/chat/completions');
      expect(http?.kind).toBe(SpanKind.SERVER);
      expect(parentOf(http!)).toBe(PARENT);
      expect(parentOf(named('llmr.route')!)).toBe(idOf(http));

      const failed = named('llmr.attempt broken');
      const succeeded = named('llmr.attempt remote');
      expect(parentOf(failed!)).toBe(idOf(http));
      expect(parentOf(succeeded!)).toBe(idOf(http));
      expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
      expect(succeeded?.attributes['llmr.attempt.kind']).toBe('fallback');

      const failedCall = named('chat broken');
      const call = named('chat upstream');
      expect(parentOf(failedCall!)).toBe(idOf(failed));
      expect(failedCall?.status.code).toBe(SpanStatusCode.ERROR);
      expect(parentOf(call!)).toBe(idOf(succeeded));
      expect(call?.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'upstream',
        'gen_ai.request.temperature': 0.3,
        'gen_ai.usage.input_tokens': 3,
        'gen_ai.usage.output_tokens': 2,
      });

      const upstreamSpan = named('POST');
      expect(upstreamSpan?.kind).toBe(SpanKind.CLIENT);
      expect(parentOf(upstreamSpan!)).toBe(idOf(call));
      expect(upstream.seen.length).toBe(upstreamCalls + 1);
      expect(upstream.seen.at(-1)?.traceparent).toBe(`00-${trace}-${idOf(upstreamSpan)}-01`);
    });
  }

  it('concurrent requests keep their own trees', async () => {
    const traces = Array.from({ length: 6 }, (_, index) => `${index + 1}`.repeat(32).slice(0, 32));
    await Promise.all(
      traces.map(async (trace, index) => {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: `00-${trace}-${PARENT}-01` },
          body: JSON.stringify({
            model: 'chain',
            stream: index % 2 === 0,
            messages: [{ role: 'user', content: `request ${index}` }],
          }),
        });
        await response.text();
      }),
    );
    for (const trace of traces) {
      const spans = await spansOf(trace, 7);
      const http = spans.find((span) => span.name === 'POST /v1/chat/completions');
      const ids = new Set(spans.map((span) => span.spanContext().spanId));
      // Every span but the request's own hangs under a span of the same trace.
      for (const span of spans) {
        if (span === http) continue;
        expect(ids.has(parentOf(span)!), `${span.name} in trace ${trace}`).toBe(true);
      }
      expect(spans.map((span) => span.name).sort()).toEqual([
        'POST',
        'POST /v1/chat/completions',
        'chat broken',
        'chat upstream',
        'llmr.attempt broken',
        'llmr.attempt remote',
        'llmr.route',
      ]);
    }
  });
});
