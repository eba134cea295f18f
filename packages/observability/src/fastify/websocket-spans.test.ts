import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createFallbackRouter } from '../__fixtures__/fallback-router';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from '../__fixtures__/otlp-receiver';
import { SloMonitor } from '../slo/slo-monitor';
import { traceRouterEvents } from '../tracing/router-tracer';
import { setupTracing, type TracingHandle } from '../tracing/setup-tracing';
import { observabilityPlugin } from './observability-plugin';

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '10f067aa0ba902b7';

interface ServerMessage {
  id: string | null;
  type: 'chunk' | 'done' | 'error';
  status?: number;
}

/** Opens a socket and sends each request; resolves with the last message of each id. */
async function exchange(url: string, requests: object[], headers: Record<string, string>) {
  const socket = new WebSocket(url, { headers });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const last = new Map<string, ServerMessage>();
  const finished = new Promise<void>((resolve) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      if (message.type !== 'chunk' && message.id) last.set(message.id, message);
      if (last.size === requests.length) resolve();
    });
  });
  for (const request of requests) socket.send(JSON.stringify(request));
  await finished;
  socket.close();
  await new Promise((resolve) => socket.once('close', resolve));
  return last;
}

describe('WebSocket messages traced one by one (real server, OTLP receiver)', () => {
  let receiver: OtlpReceiver;
  let tracing: TracingHandle;
  let server: LlmrServer;
  let wsUrl = '';
  const slo = new SloMonitor({
    slos: [
      {
        name: 'availability',
        objective: { kind: 'availability', target: 0.99 },
        groupBy: ['route', 'model'],
      },
    ],
  });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = await setupTracing({ endpoint: receiver.url, batch: { scheduledDelayMillis: 20 } });
    const router = createFallbackRouter();
    traceRouterEvents(router);
    const backend = createRouterBackend(router, { defaultModel: 'good' });
    server = await createServer({ backend, logger: false, apiKeys: [] });
    await server.app.register(observabilityPlugin, { router, slo });
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    wsUrl = `${url.replace(/^http/, 'ws')}/v1/ws`;
  });

  afterAll(async () => {
    await server?.shutdown();
    await tracing?.shutdown();
    await receiver?.close();
  });

  it('gives each generation message its own span with GenAI attributes, under the connection', async () => {
    const replies = await exchange(
      wsUrl,
      [
        {
          type: 'chat.completions',
          id: 'first',
          body: {
            model: 'chain',
            messages: [{ role: 'user', content: 'hi' }],
            temperature: 0.3,
            max_tokens: 8,
          },
        },
        {
          type: 'completions',
          id: 'second',
          body: { model: 'good', prompt: 'say', max_tokens: 4 },
        },
        {
          type: 'chat.completions',
          id: 'missing',
          body: { model: 'nope', messages: [{ role: 'user', content: 'hi' }] },
        },
      ],
      { traceparent: `00-${TRACE}-${PARENT}-01` },
    );
    expect(replies.get('first')?.type).toBe('done');
    expect(replies.get('second')?.type).toBe('done');
    expect(replies.get('missing')?.type).toBe('error');

    // The connection span ends when the socket closes, a moment after the client's close.
    let connection: ReceivedSpan | undefined;
    for (let tries = 0; !connection && tries < 200; tries++) {
      await tracing.forceFlush();
      connection = receiver.spans.find((span) => span.name === 'GET /v1/ws');
      if (!connection) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (!connection) throw new Error('The connection span never arrived.');
    expect(connection).toMatchObject({
      traceId: TRACE,
      parentSpanId: PARENT,
      kind: SpanKind.SERVER + 1,
    });

    const all = receiver.spans;
    const messages = all.filter((span) => span.parentSpanId === connection.spanId);
    const byMessage = (id: string) =>
      messages.find((span) => span.attributes['llmr.websocket.message_id'] === id)!;
    expect(messages).toHaveLength(3);

    const first = byMessage('first');
    expect(first.name).toBe('chat chain');
    expect(first.traceId).toBe(TRACE);
    expect(first.kind).toBe(SpanKind.SERVER + 1); // OTLP numbers kinds from 1
    expect(first.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'chain',
      'gen_ai.response.model': 'good',
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.max_tokens': 8,
      'llmr.route': 'ws.chat',
      'llmr.routing.attempts': 2,
      'llmr.status_code': 200,
    });
    expect(first.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(first.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    // The fallback under the message: the failed attempt and the one that served it.
    const attempts = all.filter(
      (span) => span.parentSpanId === first.spanId && span.name.startsWith('llmr.attempt'),
    );
    expect(attempts.map((span) => [span.name, span.statusCode])).toEqual([
      ['llmr.attempt broken', SpanStatusCode.ERROR],
      ['llmr.attempt good', SpanStatusCode.UNSET],
    ]);
    const generations = all.filter(
      (span) =>
        span.name === 'chat good' && span.traceId === TRACE && span.kind === SpanKind.CLIENT + 1,
    );
    expect(generations.length).toBeGreaterThan(0);

    expect(byMessage('second')).toMatchObject({
      name: 'text_completion good',
      attributes: {
        'gen_ai.operation.name': 'text_completion',
        'gen_ai.response.model': 'good',
        'llmr.route': 'ws.completion',
      },
    });
    const missing = byMessage('missing');
    expect(missing.attributes['llmr.status_code']).toBe(404);
    expect(missing.attributes['error.type']).toBeDefined();
    expect(missing.statusCode).toBe(SpanStatusCode.UNSET);

    // Counted in the SLOs like REST requests, per WebSocket route.
    const report = await slo.report();
    expect(report.map((entry) => entry.series).sort()).toEqual(
      expect.arrayContaining([
        expect.stringContaining('ws.chat'),
        expect.stringContaining('ws.completion'),
      ]),
    );
  });
});
