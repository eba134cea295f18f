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

const BLOCK = Number(process.env.LLMR_BENCH_BLOCK ?? 100);
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? 60);
const CONCURRENCY = 4;

const router = createRouter({
  loaders: [createMockLoader()],
  models: [{ id: 'instant', source: 'mock:script?reply=ok' }],
  retry: { maxRetries: 0 },
});
const backend = createRouterBackend(router, { defaultModel: 'instant' });
const server = await createServer({ backend, logger: false, apiKeys: [] });
await backend.preload();
await server.app.ready();
const payload = JSON.stringify({
  model: 'instant',
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 16,
});
const storage = new AsyncLocalStorage<object>();

async function request(): Promise<void> {
  const response = await server.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    payload,
  });
  if (response.statusCode !== 200)
    throw new Error(`The server answered ${response.statusCode}: ${response.body}`);
}

/** CPU microseconds per request of one block. */
async function block(withStorage: boolean): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next++ < BLOCK) {
      if (withStorage) await storage.run({}, request);
      else await request();
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const spent = process.cpuUsage(before);
  // Disabled between blocks, so the next "without" block runs with no hook at all.
  storage.disable();
  return (spent.user + spent.system) / BLOCK;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return (sorted[Math.floor(middle)]! + sorted[Math.ceil(middle)]!) / 2;
};

for (let round = 0; round < 5; round++) {
  await block(false);
  await block(true);
}
const without: number[] = [];
const withStorage: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Rotated: half the rounds start with the storage on.
  if (round % 2 === 0) {
    without.push(await block(false));
    withStorage.push(await block(true));
  } else {
    withStorage.push(await block(true));
    without.push(await block(false));
  }
}
const costs = withStorage.map((value, index) => value / without[index]! - 1);
const sortedCosts = [...costs].sort((a, b) => a - b);
const quartile = (q: number) => sortedCosts[Math.round((sortedCosts.length - 1) * q)]!;
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
console.table([
  { setup: 'no AsyncLocalStorage', 'CPU µs/request (median)': median(without).toFixed(1) },
  {
    setup: 'AsyncLocalStorage.run per request',
    'CPU µs/request (median)': median(withStorage).toFixed(1),
    'cost (median of pairs)': percent(median(costs)),
    'cost (IQR)': `${percent(quartile(0.25))} … ${percent(quartile(0.75))}`,
  },
]);
console.log(
  JSON.stringify({
    bench: 'async-context-tax',
    node: process.version,
    blockRequests: BLOCK,
    rounds: ROUNDS,
    cpuMicrosPerRequest: { without: median(without), withStorage: median(withStorage) },
    cost: median(costs),
    costQuartiles: [quartile(0.25), quartile(0.75)],
  }),
);
await server.shutdown();
