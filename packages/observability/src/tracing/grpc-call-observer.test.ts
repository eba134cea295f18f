import {
  type Client,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Metadata,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import {
  createGrpcServer,
  LLMR_PROTO_FILES,
  type LlmrGrpcServer,
  protoRoot,
} from '@llmr/server-grpc';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFallbackRouter } from '../__fixtures__/fallback-router';
import { observeServer } from '../fastify/observe-server';
import type { SloMonitor } from '../slo/slo-monitor';
import { setupTracing, type TracingHandle } from './setup-tracing';

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '10f067aa0ba902b7';

// biome-ignore lint/suspicious/noExplicitAny: generated client methods are looked up by name
type GenerationClient = Client & Record<string, any>;

function generationClient(port: number): GenerationClient {
  const root: GrpcObject = loadPackageDefinition(
    loadSync([...LLMR_PROTO_FILES], {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
      includeDirs: [protoRoot()],
    }),
  );
  const Constructor = ((root.llmr as GrpcObject).v1 as GrpcObject)
    .GenerationService as ServiceClientConstructor;
  return new Constructor(`127.0.0.1:${port}`, credentials.createInsecure()) as GenerationClient;
}

function traced(): Metadata {
  const metadata = new Metadata();
  metadata.set('traceparent', `00-${TRACE}-${PARENT}-01`);
  return metadata;
}

describe('a span per gRPC call (real grpc-js client, in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  let rest: LlmrServer;
  let grpc: LlmrGrpcServer;
  let client: GenerationClient;
  let slo: SloMonitor;

  beforeAll(async () => {
    tracing = await setupTracing({ exporter, batch: { scheduledDelayMillis: 10 } });
    // observeServer follows the router's events (routing and attempt spans) itself.
    const router = createFallbackRouter();
    rest = await createServer({
      backend: createRouterBackend(router, { defaultModel: 'good' }),
      logger: false,
      apiKeys: [],
    });
    ({ slo } = await observeServer({ server: rest, router }));
    // As `llmr serve --grpc-port` builds it: from the REST server's shared part.
    grpc = createGrpcServer(rest.shared);
    client = generationClient(await grpc.listen({ port: 0 }));
  });

  afterAll(async () => {
    client?.close();
    await grpc?.shutdown(2_000);
    await rest?.shutdown();
    await tracing?.shutdown();
  });

  const spans = async () => {
    await tracing.forceFlush();
    return exporter.getFinishedSpans();
  };
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('Chat: a SERVER span continuing the caller’s traceparent, the fallback nested under it, counted in the SLO', async () => {
    const response = await new Promise<{ model: string; usage: { output_tokens: number } }>(
      (resolve, reject) =>
        client.Chat(
          {
            model: 'chain',
            messages: [{ role: 'user', content: 'hi' }],
            sampling: { temperature: { value: 0.5 } },
          },
          traced(),
          (error: Error | null, message: never) => (error ? reject(error) : resolve(message)),
        ),
    );
    expect(response.model).toBe('good');
    const inTrace = (await spans()).filter((span) => span.spanContext().traceId === TRACE);
    const call = inTrace.find((span) => span.name === 'llmr.v1.GenerationService/Chat');
    expect(call?.kind).toBe(SpanKind.SERVER);
    expect(call && parentOf(call)).toBe(PARENT);
    expect(call?.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'llmr.v1.GenerationService',
      'rpc.method': 'Chat',
      'rpc.grpc.status_code': 0,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'chain',
      'gen_ai.response.model': 'good',
      'gen_ai.request.temperature': 0.5,
      'gen_ai.usage.output_tokens': response.usage.output_tokens,
      'llmr.route': 'grpc.chat',
      'llmr.routing.attempts': 2,
    });
    // The routing decision and both attempts sit under the call, each model call under its
    // attempt; the failed attempt says why.
    const callId = call!.spanContext().spanId;
    const under = inTrace.filter((span) => parentOf(span) === callId);
    expect(under.map((span) => span.name).sort()).toEqual([
      'llmr.attempt broken',
      'llmr.attempt good',
      'llmr.route',
    ]);
    const broken = under.find((span) => span.name === 'llmr.attempt broken');
    expect(broken?.status.code).toBe(SpanStatusCode.ERROR);
    for (const model of ['broken', 'good']) {
      const attempt = under.find((span) => span.name === `llmr.attempt ${model}`);
      const chat = inTrace.find((span) => span.name === `chat ${model}`);
      expect(chat && parentOf(chat)).toBe(attempt?.spanContext().spanId);
    }

    const [availability] = await slo.report();
    expect(availability).toMatchObject({
      labels: { route: 'grpc.chat', model: 'good' },
      total: 1,
      bad: 0,
    });
  });

  it('ChatStream and a refused call: the stream’s span, and a NOT_FOUND that is no server failure', async () => {
    await new Promise<void>((resolve, reject) => {
      const call = client.ChatStream(
        { model: 'good', messages: [{ role: 'user', content: 'hi' }] },
        traced(),
      );
      call.on('data', () => {});
      call.on('end', resolve);
      call.on('error', reject);
    });
    const missing = await new Promise<{ code: number }>((resolve) =>
      client.Chat(
        { model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] },
        traced(),
        (error: { code: number }) => resolve(error),
      ),
    );
    expect(missing.code).toBe(5); // NOT_FOUND
    const finished = await spans();
    const stream = finished.find((span) => span.name === 'llmr.v1.GenerationService/ChatStream');
    expect(stream?.attributes).toMatchObject({
      'llmr.stream': true,
      'gen_ai.response.model': 'good',
      'rpc.grpc.status_code': 0,
    });
    expect(stream?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    const refused = finished.filter(
      (span) =>
        span.name === 'llmr.v1.GenerationService/Chat' &&
        span.attributes['gen_ai.request.model'] === 'no-such-model',
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]?.attributes).toMatchObject({
      'rpc.grpc.status_code': 5,
      'llmr.status_code': 404,
    });
    expect(refused[0]?.attributes['error.type']).toBeTruthy();
    expect(refused[0]?.status.code).not.toBe(SpanStatusCode.ERROR);
    // Only calls that reached a model count: the stream joins the Chat call's series, the
    // refused call is in none.
    const reports = await slo.report();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      labels: { route: 'grpc.chat', model: 'good' },
      total: 2,
      bad: 0,
    });
  });
});
