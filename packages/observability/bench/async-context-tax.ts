/**
 * What an AsyncLocalStorage in use costs the llmr server by itself, with no span at all:
 * OpenTelemetry's Node context manager is one, and on Node 20 an enabled one runs a hook
 * for every promise of the process. One process, one plain server (no observability),
 * requests through Fastify's `inject`; blocks take turns with the storage disabled and
 * with every request run inside `storage.run` (as the context manager's `context.with`
 * does), and each block's CPU time is paired with the other kind's in the same round, so a
 * busy machine hits both sides of a pair alike.
 *
 *   LLMR_BENCH_BLOCK=100 LLMR_BENCH_ROUNDS=60 pnpm --filter @llmr/observability bench:context
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer } from '@llmr/server';
import { chatBlock } from './chat-block';
import { pairedBlocks, printPairedTable } from './paired-blocks';

const BLOCK = Number(process.env.LLMR_BENCH_BLOCK ?? 100);
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? 60);

const router = createRouter({
  loaders: [createMockLoader()],
  models: [{ id: 'instant', source: 'mock:script?reply=ok' }],
  retry: { maxRetries: 0 },
});
const backend = createRouterBackend(router, { defaultModel: 'instant' });
const server = await createServer({ backend, logger: false, apiKeys: [] });
await backend.preload();
await server.app.ready();
const storage = new AsyncLocalStorage<object>();

/** CPU microseconds per request of one block. */
async function block(withStorage: boolean): Promise<number> {
  const before = process.cpuUsage();
  await chatBlock(
    server,
    BLOCK,
    withStorage ? { around: (request) => storage.run({}, request) } : {},
  );
  const spent = process.cpuUsage(before);
  // Disabled between blocks, so the next "without" block runs with no hook at all.
  storage.disable();
  return (spent.user + spent.system) / BLOCK;
}

const result = await pairedBlocks(block, ROUNDS);
printPairedTable(['no AsyncLocalStorage', 'AsyncLocalStorage.run per request'], result);
console.log(
  JSON.stringify({
    bench: 'async-context-tax',
    node: process.version,
    blockRequests: BLOCK,
    rounds: ROUNDS,
    cpuMicrosPerRequest: { without: result.without, withStorage: result.with },
    cost: result.cost,
    costQuartiles: result.costQuartiles,
  }),
);
await server.shutdown();
