/**
 * Tracing's cost measured inside one server process, for a machine too busy for the
 * separate-process bench to separate a few percent from noise: the server is built once
 * with every tracing hook in place and tracing set up (OTLP/HTTP to a receiver in another
 * process), and blocks of requests take turns with tracing forced off and on
 * (`setTracingEnabled`), each pair in the same round. The exporter is flushed inside each
 * traced block, so export is charged to tracing.
 *
 * No context manager is installed (the default), so each pair is the whole cost of tracing
 * at that detail; `bench/async-context-tax.ts` measures what the opt-in AsyncLocalStorage
 * context manager would add.
 *
 *   pnpm --filter @llmr/observability bench:in-process requests   # or: full
 *   LLMR_BENCH_SAMPLE_RATIO=0 ... # the hooks with no recorded span
 *   LLMR_BENCH_EXPORTER=memory ... # spans kept in memory: the span work without the export
 *   LLMR_BENCH_PROTOCOL=http/json ... # OTLP/JSON instead of the default OTLP/protobuf
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer } from '@llmr/server';
import {
  observabilityPlugin,
  setTracingEnabled,
  setupTracing,
  traceLoader,
  traceRouterEvents,
} from '../src/index';
import { chatBlock } from './chat-block';
import { pairedBlocks, printPairedTable } from './paired-blocks';

const BLOCK = Number(process.env.LLMR_BENCH_BLOCK ?? 100);
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? 60);
const detail = (process.argv[2] ?? 'requests') as 'requests' | 'full';
if (detail !== 'requests' && detail !== 'full')
  throw new Error(`Pass "requests" or "full" as the tracing detail, got "${detail}".`);

// LLMR_BENCH_EXPORTER=memory: the SDK's in-memory exporter, emptied after each block, so
// the pair is the span work alone and the OTLP/JSON encoding and the POST are left out.
const inMemory = process.env.LLMR_BENCH_EXPORTER === 'memory';
const memoryExporter = inMemory
  ? new (await import('@opentelemetry/sdk-trace')).InMemorySpanExporter()
  : undefined;
// The receiver runs in a process of its own: its work must not count as this server's.
const receiver = spawn(
  process.execPath,
  [
    '-e',
    `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => String(q.headers['content-type']).startsWith('application/json') ? s.writeHead(200, { 'content-type': 'application/json' }).end('{}') : s.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [portLine] = (await once(receiver.stdout!, 'data')) as [Buffer];
const endpoint = `http://127.0.0.1:${portLine.toString().trim()}/v1/traces`;

// LLMR_BENCH_SAMPLE_RATIO=0 keeps every hook and no recorded span: the cost of the hooks alone.
const sampleRatio = Number(process.env.LLMR_BENCH_SAMPLE_RATIO ?? 1);
const tracing = await setupTracing({
  ...(memoryExporter ? { exporter: memoryExporter } : { endpoint }),
  ...(process.env.LLMR_BENCH_PROTOCOL
    ? { protocol: process.env.LLMR_BENCH_PROTOCOL as 'http/protobuf' | 'http/json' }
    : {}),
  detail,
  sampleRatio,
});
const router = createRouter({
  loaders: [traceLoader(createMockLoader())],
  models: [{ id: 'instant', source: 'mock:script?reply=ok' }],
  retry: { maxRetries: 0 },
});
const backend = createRouterBackend(router, { defaultModel: 'instant' });
const server = await createServer({ backend, logger: false, apiKeys: [] });
traceRouterEvents(router);
await server.app.register(observabilityPlugin, { router, routes: false });
await backend.preload();
await server.app.ready();
/** CPU microseconds per request of one block. */
async function block(traced: boolean): Promise<number> {
  setTracingEnabled(traced);
  const before = process.cpuUsage();
  await chatBlock(server, BLOCK);
  if (traced) await tracing.forceFlush();
  memoryExporter?.reset();
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / BLOCK;
}

const result = await pairedBlocks(block, ROUNDS);
printPairedTable(['tracing off', `tracing on (detail: ${detail})`], result);
console.log(
  JSON.stringify({
    bench: 'in-process-tracing',
    detail,
    sampleRatio,
    exporter: inMemory ? 'memory' : `otlp ${process.env.LLMR_BENCH_PROTOCOL ?? 'http/protobuf'}`,
    node: process.version,
    blockRequests: BLOCK,
    rounds: ROUNDS,
    cpuMicrosPerRequest: { off: result.without, on: result.with },
    cost: result.cost,
    costQuartiles: result.costQuartiles,
    quietCost: result.quietCost,
    target: 0.1,
    met: result.cost < 0.1,
  }),
);
await server.shutdown();
await tracing.shutdown();
receiver.kill();
