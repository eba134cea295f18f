/**
 * OTLP/protobuf span encoding: the SDK's `ProtobufTraceSerializer.serializeRequest` next to
 * llmr's `serializeSpans` (same bytes, checked first), in the same process, alternating
 * block by block, on spans shaped like a traced chat request's four: the HTTP SERVER span,
 * `llmr.route` with its candidates and scores, `llmr.attempt <model>` and the `chat <model>`
 * CLIENT span with the GenAI attributes. Batches of 512 spans, as the BatchSpanProcessor
 * sends them. CPU time (user + system) per span and per batch.
 *
 *   pnpm --filter @llmr/observability bench:serializer
 *   LLMR_BENCH_ROUNDS=40 LLMR_BENCH_BATCHES=8 ... # more rounds, more distinct batches
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { serializeSpans } from '../src/tracing/otlp-span-serializer';

const BATCH_SPANS = 512;
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? 20);
const BATCHES = Number(process.env.LLMR_BENCH_BATCHES ?? 4);
/** Batches encoded per timed block, so one block takes milliseconds, not microseconds. */
const REPEATS = 10;

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'llmr',
    'service.version': '0.1.0',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'host.name': 'llmr-bench',
  }),
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const tracer = provider.getTracer('@llmr/observability', '0.1.0');
const MODELS = ['llama-3.1-8b-instruct-q4', 'qwen2.5-7b-instruct', 'gpt-4o-mini'];

/** The four spans of one traced chat completion, as the server makes them. */
function tracedRequest(index: number): void {
  const model = MODELS[index % MODELS.length] as string;
  const candidates = MODELS.slice(0, 2 + (index % 2));
  const server = tracer.startSpan('POST /v1/chat/completions', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'url.path': '/v1/chat/completions',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': 8080,
      'user_agent.original': 'OpenAI/JS 4.104.0',
      'llmr.stream': index % 2 === 0,
    },
  });
  const serverContext = trace.setSpan(ROOT_CONTEXT, server);
  const route = tracer.startSpan(
    'llmr.route',
    {
      attributes: {
        'llmr.route': 'default',
        'llmr.routing.strategy': 'least-latency',
        'llmr.routing.candidates': candidates,
        'llmr.routing.scores': candidates.map((_, rank) => 1 / (rank + 1) + (index % 7) / 100),
        'llmr.routing.selected': model,
      },
    },
    serverContext,
  );
  route.end();
  const attempt = tracer.startSpan(
    `llmr.attempt ${model}`,
    {
      attributes: {
        'llmr.attempt.number': 1,
        'llmr.attempt.kind': 'first',
        'gen_ai.request.model': model,
      },
    },
    serverContext,
  );
  const chat = tracer.startSpan(
    `chat ${model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'llmr',
        'gen_ai.request.model': model,
        'gen_ai.request.temperature': 0.7,
        'gen_ai.request.max_tokens': 256,
        'gen_ai.request.top_p': 0.95,
      },
    },
    trace.setSpan(ROOT_CONTEXT, attempt),
  );
  chat.setAttributes({
    'gen_ai.response.model': model,
    'gen_ai.response.id': `chatcmpl-${(index * 2654435761).toString(36)}`,
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.usage.input_tokens': 40 + (index % 50),
    'gen_ai.usage.output_tokens': 100 + (index % 150),
    'llmr.gen_ai.time_to_first_token': 0.012 + (index % 10) / 1000,
  });
  chat.setStatus({ code: SpanStatusCode.OK });
  chat.end();
  attempt.end();
  server.setAttribute('http.response.status_code', 200);
  server.end();
}

for (let index = 0; index < (BATCH_SPANS / 4) * BATCHES; index++) tracedRequest(index);
const spans = exporter.getFinishedSpans() as ReadableSpan[];
const batches = Array.from({ length: BATCHES }, (_, batch) =>
  spans.slice(batch * BATCH_SPANS, (batch + 1) * BATCH_SPANS),
);

const sdk = (batch: ReadableSpan[]) =>
  ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array;
const llmr = (batch: ReadableSpan[]) => serializeSpans(batch);

for (const batch of batches) {
  const expected = sdk(batch);
  const actual = llmr(batch);
  if (Buffer.compare(Buffer.from(expected), Buffer.from(actual)) !== 0)
    throw new Error('serializeSpans wrote other bytes than the SDK: fix it before measuring it.');
}

let sink = 0;
/** CPU µs per batch of one block: every batch, REPEATS times. */
function block(serialize: (batch: ReadableSpan[]) => Uint8Array): number {
  const start = process.cpuUsage();
  for (let repeat = 0; repeat < REPEATS; repeat++)
    for (const batch of batches) sink += serialize(batch).length;
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (REPEATS * batches.length);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1] as number;
for (let round = 0; round < 5; round++) {
  block(sdk);
  block(llmr);
}
const sdkTimes: number[] = [];
const llmrTimes: number[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const [first, second] = round % 2 === 0 ? [sdk, llmr] : [llmr, sdk];
  const firstTime = block(first);
  const secondTime = block(second);
  const sdkTime = first === sdk ? firstTime : secondTime;
  const llmrTime = first === sdk ? secondTime : firstTime;
  sdkTimes.push(sdkTime);
  llmrTimes.push(llmrTime);
  ratios.push(sdkTime / llmrTime);
}

const bytesPerBatch = Math.round(
  batches.reduce((sum, batch) => sum + llmr(batch).length, 0) / batches.length,
);
const sdkBatch = median(sdkTimes);
const llmrBatch = median(llmrTimes);
console.table([
  {
    serializer: 'SDK ProtobufTraceSerializer',
    'CPU µs/batch (median)': sdkBatch.toFixed(0),
    'CPU µs/span': (sdkBatch / BATCH_SPANS).toFixed(2),
  },
  {
    serializer: 'llmr serializeSpans',
    'CPU µs/batch (median)': llmrBatch.toFixed(0),
    'CPU µs/span': (llmrBatch / BATCH_SPANS).toFixed(2),
    'speed-up (median of pairs)': `${median(ratios).toFixed(2)}x`,
  },
]);
console.log(
  JSON.stringify({
    bench: 'otlp-serializer',
    spansPerBatch: BATCH_SPANS,
    batches: BATCHES,
    rounds: ROUNDS,
    bytesPerBatch,
    sdkMicrosPerBatch: Number(sdkBatch.toFixed(1)),
    llmrMicrosPerBatch: Number(llmrBatch.toFixed(1)),
    sdkMicrosPerSpan: Number((sdkBatch / BATCH_SPANS).toFixed(3)),
    llmrMicrosPerSpan: Number((llmrBatch / BATCH_SPANS).toFixed(3)),
    speedUp: Number(median(ratios).toFixed(2)),
    node: process.version,
  }),
);
if (sink === 0) console.log('(nothing encoded)');
