import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFallbackRouter } from '../__fixtures__/fallback-router';
import { observeServer } from '../fastify/observe-server';
import { setupTracing, type TracingHandle } from './setup-tracing';
import { isStepTracingEnabled, isTracingEnabled, llmrTracer } from './tracing-state';

const TRACE = '6bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '20f067aa0ba902b7';

describe('tracing detail "requests": one span per request, no context manager', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  let server: LlmrServer;
  let url = '';

  beforeAll(async () => {
    tracing = await setupTracing({
      exporter,
      detail: 'requests',
      batch: { scheduledDelayMillis: 10 },
    });
    const router = createFallbackRouter();
    server = await createServer({
      backend: createRouterBackend(router, { defaultModel: 'good' }),
      logger: false,
      apiKeys: [],
    });
    await observeServer({ server, router });
    url = await server.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.shutdown();
    await tracing?.shutdown();
  });

  it('installs no context manager and skips the step spans', () => {
    expect(isTracingEnabled()).toBe(true);
    expect(isStepTracingEnabled()).toBe(false);
    const span = llmrTracer().startSpan('probe');
    // With no context manager, `with` does not even change the active context synchronously.
    expect(context.with(trace.setSpan(ROOT_CONTEXT, span), () => context.active())).toBe(
      ROOT_CONTEXT,
    );
  });

  it('a request through a fallback is one SERVER span with the routing outcome and GenAI attributes', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${TRACE}-${PARENT}-01`,
      },
      body: JSON.stringify({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    await tracing.forceFlush();
    const spans = exporter
      .getFinishedSpans()
      .filter((span) => span.spanContext().traceId === TRACE);
    expect(spans.map((span) => span.name)).toEqual(['POST /v1/chat/completions']);
    const [span] = spans;
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT);
    expect(span?.attributes).toMatchObject({
      'http.response.status_code': 200,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'chain',
      'gen_ai.response.model': 'good',
      'gen_ai.usage.input_tokens': body.usage.prompt_tokens,
      'gen_ai.usage.output_tokens': body.usage.completion_tokens,
      'llmr.routing.attempts': 2,
    });
  });

  it('rejects an unknown detail, naming the setting', async () => {
    await expect(setupTracing({ exporter, detail: 'some' as never, env: {} })).rejects.toThrow(
      /"full" or "requests".*LLMR_TRACING_DETAIL/,
    );
  });
});
