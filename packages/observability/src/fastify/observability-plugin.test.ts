import { createMockModel } from '@llmr/loader-mock';
import type { createRouter } from '@llmr/router';
import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFallbackRouter } from '../__fixtures__/fallback-router';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from '../__fixtures__/otlp-receiver';
import { ExperimentManager } from '../experiments/experiment-manager';
import { FeedbackRecorder } from '../feedback/feedback-recorder';
import { LlmJudge } from '../feedback/llm-judge';
import { QualityScores } from '../feedback/quality-scores';
import { createGenAiMetrics, type GenAiMetrics } from '../metrics/gen-ai-metrics';
import { SloMonitor } from '../slo/slo-monitor';
import { traceRouterEvents } from '../tracing/router-tracer';
import { setupTracing, type TracingHandle } from '../tracing/setup-tracing';
import { setTracingEnabled } from '../tracing/tracing-state';
import { observabilityPlugin } from './observability-plugin';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

describe('the plugin on the real llmr server (HTTP on loopback, OTLP receiver)', () => {
  let receiver: OtlpReceiver;
  let tracing: TracingHandle;
  let server: LlmrServer;
  let url = '';
  // Created once the server's registry exists; the models report through it.
  let genAiMetrics: GenAiMetrics | undefined;
  const metrics: GenAiMetrics = { observe: (observation) => genAiMetrics?.observe(observation) };
  let routerForPlugin: ReturnType<typeof createRouter> | undefined;
  const quality = new QualityScores({ minSamples: 1 });
  const experiments = new ExperimentManager({
    experiments: [
      {
        id: 'tone',
        variants: [
          { name: 'control' },
          { name: 'brief', parameters: { systemPrompt: 'Be brief.', temperature: 0.1 } },
        ],
      },
    ],
  });
  const slo = new SloMonitor({
    slos: [
      {
        name: 'availability',
        objective: { kind: 'availability', target: 0.99 },
        groupBy: ['route', 'model'],
      },
      {
        name: 'ttft',
        objective: { kind: 'time-to-first-token', target: 0.9, thresholdMs: 10_000 },
      },
    ],
  });
  const feedback = new FeedbackRecorder({ quality, experiments });
  const judgeScores = new QualityScores({ minSamples: 1 });
  const judge = new LlmJudge({
    judge: createMockModel({ id: 'judge', mode: 'script', replies: ['Score: 9. Fine.'] }),
    rubric: 'Answers the question.',
    sampleRate: 1,
    quality: judgeScores,
  });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // OTLP/JSON here (protobuf, the default, is what tracing.test.ts receives).
    tracing = await setupTracing({
      endpoint: receiver.url,
      protocol: 'http/json',
      batch: { scheduledDelayMillis: 20 },
    });
    const router = createFallbackRouter({ metrics });
    traceRouterEvents(router);
    routerForPlugin = router;
    const backend = createRouterBackend(router, { defaultModel: 'good' });
    server = await createServer({ backend, logger: false, apiKeys: [] });
    genAiMetrics = createGenAiMetrics(server.metricsRegistry);
    await server.app.register(observabilityPlugin, {
      slo,
      experiments,
      feedback,
      router: routerForPlugin,
      judge,
      isAdmin: (request) => request.headers['x-admin'] === 'yes',
    });
    url = await server.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.shutdown();
    await tracing?.shutdown();
    await receiver?.close();
  });

  const chat = (body: object, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        model: 'chain',
        messages: [{ role: 'user', content: 'hi' }],
        ...body,
      }),
    });

  it('traces a request through a fallback under the caller’s trace', async () => {
    const response = await chat({ user: 'u-1' }, { traceparent: `00-${TRACE}-${PARENT}-01` });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-llmr-model')).toBe('good');
    await response.json();
    await tracing.forceFlush();
    const inTrace = () => receiver.spans.filter((span) => span.traceId === TRACE);
    for (let wait = 0; wait < 50 && inTrace().length < 6; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await tracing.forceFlush();
    }
    const spans = inTrace();
    expect(receiver.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
    const named = (name: string) => spans.find((span) => span.name === name);
    const root = named('POST /v1/chat/completions');
    expect(root).toMatchObject({ kind: SpanKind.SERVER + 1, parentSpanId: PARENT });
    expect(root?.attributes).toMatchObject({
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
    });
    expect(named('llmr.route')?.parentSpanId).toBe(root?.spanId);
    expect(named('llmr.attempt broken')).toMatchObject({
      statusCode: SpanStatusCode.ERROR,
      parentSpanId: root?.spanId,
    });
    expect(named('llmr.attempt good')?.attributes['llmr.attempt.kind']).toBe('fallback');
    expect(named('chat good')?.attributes).toMatchObject({
      'gen_ai.request.model': 'good',
      'gen_ai.operation.name': 'chat',
    });
  });

  it('assigns experiments stickily, applies the variant, and reports it', async () => {
    const variants = new Set<string>();
    for (const user of ['u-1', 'u-2', 'u-3', 'u-4', 'u-5', 'u-6']) {
      const first = await chat({ user });
      const second = await chat({ user });
      await first.json();
      await second.json();
      expect(second.headers.get('x-llmr-experiment')).toBe(first.headers.get('x-llmr-experiment'));
      variants.add(first.headers.get('x-llmr-experiment') ?? '');
    }
    expect(variants).toEqual(new Set(['tone=control', 'tone=brief']));
    const report = (await (await fetch(`${url}/api/experiments/tone`)).json()) as {
      variants: { name: string; requests: number }[];
    };
    expect(report.variants.reduce((sum, variant) => sum + variant.requests, 0)).toBe(13);
    expect((await fetch(`${url}/api/experiments/nope`)).status).toBe(404);
  });

  it('traces and counts a streamed (SSE) request to its end', async () => {
    const trace = '1234567890abcdef1234567890abcdef';
    const before = (await slo.report()).find((series) => series.slo === 'availability')?.total ?? 0;
    const response = await chat({ stream: true }, { traceparent: `00-${trace}-${PARENT}-01` });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await response.text()).toMatch(/data: \[DONE\]/);
    let root: ReceivedSpan | undefined;
    for (let wait = 0; wait < 50 && !root; wait++) {
      await tracing.forceFlush();
      root = receiver.spans.find(
        (span) => span.traceId === trace && span.kind === SpanKind.SERVER + 1,
      );
      if (!root) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(root?.attributes['http.response.status_code']).toBe(200);
    const after = (await slo.report()).find((series) => series.slo === 'availability')?.total ?? 0;
    expect(after).toBe(before + 1);
  });

  it('traces a GraphQL generation with its routing under the caller’s trace', async () => {
    const trace = 'abcdefabcdefabcdefabcdefabcdef01';
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${trace}-${PARENT}-01` },
      body: JSON.stringify({
        query: 'mutation G($input: GenerateInput!) { generate(input: $input) { text } }',
        variables: { input: { model: 'chain', messages: [{ role: 'user', content: 'x' }] } },
      }),
    });
    expect(
      ((await response.json()) as { data: { generate: { text: string } } }).data.generate.text,
    ).toBe('fine');
    const inTrace = () => receiver.spans.filter((span) => span.traceId === trace);
    for (let wait = 0; wait < 50 && inTrace().length < 4; wait++) {
      await tracing.forceFlush();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const root = inTrace().find((span) => span.name === 'POST /graphql');
    expect(root?.parentSpanId).toBe(PARENT);
    // By now the earlier tests' failures have opened "broken"'s circuit: one attempt.
    const named = (name: string) => inTrace().find((span) => span.name === name);
    expect(named('llmr.route')?.parentSpanId).toBe(root?.spanId);
    expect(named('llmr.attempt good')?.parentSpanId).toBe(root?.spanId);
    expect(named('chat good')?.attributes['gen_ai.operation.name']).toBe('chat');
  });

  it('publishes the GenAI metrics beside the server’s on /metrics', async () => {
    const exposition = await (await fetch(`${url}/metrics`)).text();
    expect(exposition).toContain('llmr_http_requests_total');
    expect(exposition).toMatch(
      /gen_ai_server_request_duration_seconds_count\{[^}]*gen_ai_request_model="good"/,
    );
    expect(exposition).toMatch(/gen_ai_client_token_usage_bucket\{[^}]*gen_ai_token_type="input"/);
    expect(exposition).toContain('gen_ai_server_time_to_first_token_seconds_bucket');
  });

  it('serves SLO status for generations', async () => {
    const body = (await (await fetch(`${url}/api/slo`)).json()) as {
      data: { labels: Record<string, string>; total: number; bad: number }[];
    };
    expect(body.data).toHaveLength(2);
    const [availability, ttft] = body.data;
    expect(availability?.labels).toEqual({ route: '/v1/chat/completions', model: 'good' });
    expect(availability?.total).toBeGreaterThanOrEqual(13);
    expect(availability?.bad).toBe(0);
    // Every generation's first token was seen through the router's events.
    expect(ttft?.total).toBe(availability?.total);
    expect(availability?.total).toBeGreaterThanOrEqual(14);
  });

  it('takes feedback for a response id and feeds quality scores', async () => {
    const response = await chat({ user: 'u-9' });
    const { id } = (await response.json()) as { id: string };
    const post = (payload: object) =>
      fetch(`${url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
    // The judge scored the same response in the background, kept apart from user feedback.
    await judge.idle();
    expect(judge.verdicts().find((verdict) => verdict.responseId === id)).toMatchObject({
      model: 'good',
      score: 8 / 9,
    });
    expect(judgeScores.score('good')).toBeCloseTo(8 / 9, 12);
    const accepted = await post({ responseId: id, thumbs: 'up', text: 'good' });
    expect(accepted.status).toBe(201);
    expect(quality.score('good')).toBe(1);
    const byRequestId = await post({ responseId: response.headers.get('x-request-id'), score: 0 });
    expect(byRequestId.status).toBe(201);
    const unknown = await post({ responseId: 'chatcmpl-unknown', score: 1 });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      'feedback-unknown-response',
    );
    const invalid = await post({ responseId: id, score: 7 });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { message: string } }).error.message).toMatch(
      /from 0 to 1/,
    );
  });

  it('promotes only for an admin', async () => {
    const promote = (headers: Record<string, string>) =>
      fetch(`${url}/api/experiments/tone/promote`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ variant: 'brief' }),
      });
    expect((await promote({})).status).toBe(403);
    const promoted = await promote({ 'x-admin': 'yes' });
    expect(promoted.status).toBe(200);
    const trace = 'ffeeddccbbaa99887766554433221100';
    const response = await chat({}, { traceparent: `00-${trace}-${PARENT}-01` });
    await response.json();
    expect(response.headers.get('x-llmr-experiment')).toBe('tone=brief');
    // The winner's parameters reached the model.
    await tracing.forceFlush();
    let chatSpan: ReceivedSpan | undefined;
    for (let wait = 0; wait < 50 && !chatSpan; wait++) {
      chatSpan = receiver.spans.find((span) => span.traceId === trace && span.name === 'chat good');
      if (!chatSpan) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(chatSpan?.attributes['gen_ai.request.temperature']).toBe(0.1);
  });
});

describe('the plugin with tracing off', () => {
  /** The hooks the plugin adds to a fresh llmr server, for the tracing state and options given. */
  async function hooksAdded(tracingOn: boolean, options: object = {}): Promise<string[]> {
    const backend = createRouterBackend(createFallbackRouter(), { defaultModel: 'good' });
    const server = await createServer({ backend, logger: false, apiKeys: [] });
    const added: string[] = [];
    const addHook = server.app.addHook.bind(server.app);
    server.app.addHook = ((name: string, hook: never) => {
      added.push(name);
      return addHook(name as never, hook);
    }) as typeof server.app.addHook;
    setTracingEnabled(tracingOn);
    try {
      await server.app.register(observabilityPlugin, { routes: false, ...options });
      await server.app.ready();
      // The server still answers (a hook that was needed and left out would show here).
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'good', messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(response.statusCode).toBe(200);
    } finally {
      setTracingEnabled(undefined);
      await server.shutdown();
    }
    return added.filter((name) => name !== 'onClose');
  }

  it('adds no request hook when nothing would read it: tracing off costs nothing per request', async () => {
    // An onResponse hook alone would make Fastify listen to every response's end.
    expect(await hooksAdded(false)).toEqual([]);
  });

  it('adds its hooks when tracing is on at registration, or when anything counts requests', async () => {
    expect(await hooksAdded(true)).toEqual(
      expect.arrayContaining(['onRequest', 'onError', 'onResponse']),
    );
    const slo = new SloMonitor({
      slos: [{ name: 'availability', objective: { kind: 'availability', target: 0.99 } }],
    });
    expect(await hooksAdded(false, { slo })).toEqual(
      expect.arrayContaining(['onRequest', 'onError', 'onResponse']),
    );
  });
});
