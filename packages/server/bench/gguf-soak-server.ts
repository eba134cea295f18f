/**
 * The server under soak, in its own process: one GGUF model on llama.cpp behind the
 * router, 16 sequences. Prints its URL, then once a second a JSON sample of its own
 * resident memory, event-loop delay (perf_hooks.monitorEventLoopDelay: the last second's
 * p99 and max, and the whole run's p99) and active handles.
 *
 *   tsx bench/gguf-soak-server.ts <model.gguf>
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createGgufLoader } from '@llmr/loader-gguf';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer } from '../src/index';

const path = process.argv[2];
if (!path) throw new Error('usage: gguf-soak-server.ts <model.gguf>');
const sequences = Number(process.env.LLMR_SOAK_SEQUENCES ?? 16);

const router = createRouter({
  loaders: [createGgufLoader({ defaults: { sequences, contextLength: 512, maxQueue: 256 } })],
  models: [{ id: 'soak', source: path }],
  retry: { maxRetries: 0 },
});
const backend = createRouterBackend(router, { defaultModel: 'soak' });
await backend.preload();
const server = await createServer({ backend, logger: false, apiKeys: [] });
const url = await server.listen({ port: 0 });

const whole = monitorEventLoopDelay({ resolution: 10 });
const second = monitorEventLoopDelay({ resolution: 10 });
whole.enable();
second.enable();
const sample = () => {
  const line = {
    type: 'sample',
    at: Date.now(),
    rssBytes: process.memoryUsage.rss(),
    heapUsedBytes: process.memoryUsage().heapUsed,
    eventLoopP99Ms: second.percentile(99) / 1e6,
    eventLoopMaxMs: second.max / 1e6,
    eventLoopRunP99Ms: whole.percentile(99) / 1e6,
    activeHandles: process.getActiveResourcesInfo().length,
    inFlight: server.inFlight().length,
  };
  second.reset();
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
process.stdout.write(`${JSON.stringify({ type: 'ready', url })}\n`);
sample();
setInterval(sample, 1_000);
// The end sample after a full collection: growth that survives it is retained memory.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  sample();
});
process.on('SIGTERM', () => {
  sample();
  void server.shutdown().then(() => process.exit(0));
});
