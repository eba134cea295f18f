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
 *   LLMR_BENCH_CONTROL=1 ...        # an A/A control: both sides with tracing off (and the
 *                                   # traced side still flushing), the noise floor of a pair
 *   LLMR_BENCH_MODEL=default ...    # the built-in default model (a tiny GGUF on real llama.cpp,
 *                                   # built by the built CLI) instead of the instant mock
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGgufLoader } from '@llmr/loader-gguf';
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
import { startOtlpSink } from './otlp-sink';
import { pairedBlocks, printPairedTable } from './paired-blocks';

const onDefaultModel = process.env.LLMR_BENCH_MODEL === 'default';
const control = process.env.LLMR_BENCH_CONTROL === '1';
// A request to the default model is ~10 ms of CPU, to the mock ~0.3 ms: blocks of similar length.
const BLOCK = Number(process.env.LLMR_BENCH_BLOCK ?? (onDefaultModel ? 40 : 100));
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? (onDefaultModel ? 30 : 60));
if (process.env.LLMR_BENCH_MODEL !== undefined && !onDefaultModel)
  throw new Error(
    `LLMR_BENCH_MODEL is "default" or unset (the mock), got "${process.env.LLMR_BENCH_MODEL}".`,
  );
const detail = (process.argv[2] ?? 'requests') as 'requests' | 'full';
if (detail !== 'requests' && detail !== 'full')
  throw new Error(`Pass "requests" or "full" as the tracing detail, got "${detail}".`);

// LLMR_BENCH_EXPORTER=memory: the SDK's in-memory exporter, emptied after each block, so
// the pair is the span work alone and the OTLP/JSON encoding and the POST are left out.
const inMemory = process.env.LLMR_BENCH_EXPORTER === 'memory';
const memoryExporter = inMemory
  ? new (await import('@opentelemetry/sdk-trace')).InMemorySpanExporter()
  : undefined;
const sink = await startOtlpSink();
const endpoint = sink.endpoint;

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
/**
 * The built-in default model's file, as `llmr serve` serves it: the built CLI builds it into a
 * fresh home (`llmr run default`), so the bench measures the very same GGUF.
 */
async function buildDefaultModel(home: string): Promise<string> {
  const cliBin = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
  await promisify(execFile)(process.execPath, [cliBin, 'run', 'default', '-p', 'hi', '-n', '1'], {
    env: { ...process.env, LLMR_HOME: home },
  }).catch((error: unknown) => {
    throw new Error(
      `Building the default model with ${cliBin} failed (build the CLI first: pnpm --filter @llmr/cli build): ${String(error)}`,
    );
  });
  const file = (await readdir(join(home, 'models'))).find((name) => name.endsWith('.gguf'));
  if (!file) throw new Error(`llmr run default left no .gguf in ${join(home, 'models')}.`);
  return join(home, 'models', file);
}

const home = onDefaultModel ? await mkdtemp(join(tmpdir(), 'llmr-bench-home-')) : undefined;
const router = createRouter({
  loaders: [traceLoader(onDefaultModel ? createGgufLoader() : createMockLoader())],
  models: [
    {
      id: 'instant',
      source: home ? await buildDefaultModel(home) : 'mock:script?reply=ok',
    },
  ],
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
  setTracingEnabled(control ? false : traced);
  const before = process.cpuUsage();
  // One request at a time on the model: each is then the same llama.cpp work (several would
  // share decode batches in proportions that vary from block to block).
  await chatBlock(server, BLOCK, onDefaultModel ? { concurrency: 1 } : {});
  if (traced) await tracing.forceFlush();
  memoryExporter?.reset();
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / BLOCK;
}

const result = await pairedBlocks(block, ROUNDS);
printPairedTable(
  ['tracing off', control ? 'tracing off again (A/A control)' : `tracing on (detail: ${detail})`],
  result,
);
console.log(
  JSON.stringify({
    bench: 'in-process-tracing',
    detail,
    model: onDefaultModel ? 'built-in default (GGUF, llama.cpp)' : 'instant mock',
    control,
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
sink.stop();
if (home) await rm(home, { recursive: true, force: true });
