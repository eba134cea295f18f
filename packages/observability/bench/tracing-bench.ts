/**
 * What observability costs the llmr server, against the plain server (no observability)
 * in the same run: every tracing hook in place with tracing off (target: under 2%), the
 * same with tracing on, every span exported over OTLP/HTTP to a receiver in another
 * process (target: under 10%), and everything the CLI wires (metrics, SLOs, an experiment,
 * feedback) with tracing off (reported, no target). See `observed-servers.ts`.
 *
 * Built to give the same answer on a busy, shared machine, where requests per second swing
 * by half between runs:
 * - the measure is CPU time per request, not throughput: time this process spends waiting
 *   for a core does not count;
 * - all four servers live in this one process and take requests through Fastify's
 *   `inject` (the whole request lifecycle and every hook, no sockets), so no client
 *   process competes and nothing but the setup differs;
 * - setups take turns in short blocks (A B C D, B C D A, ...), and each block's cost is
 *   paired with the baseline block of its own round, so a slow spell hits both sides of a
 *   pair; the table gives the median of the paired costs and their interquartile range;
 * - the exporter is flushed inside each traced block, so its work is charged to tracing.
 * Leaving sockets and HTTP parsing out makes the baseline cheaper, so the costs shown are
 * if anything higher than over the network.
 *
 *   LLMR_BENCH_BLOCK=200 LLMR_BENCH_ROUNDS=60 pnpm --filter @llmr/observability bench
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { LlmrServer } from '@llmr/server';
import { setTracingEnabled, setupTracing } from '../src/index';
import { createObservedServer, SETUPS, type Setup } from './observed-servers';

const BLOCK = Number(process.env.LLMR_BENCH_BLOCK ?? 200);
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? 60);
const CONCURRENCY = 4;

// The OTLP receiver runs in a process of its own: decoding what it receives is not the
// server's cost.
const receiver = spawn(
  process.execPath,
  [
    '-e',
    `const server = require('node:http').createServer((request, response) => {
       request.resume();
       request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
     });
     server.listen(0, '127.0.0.1', () => console.log(server.address().port));`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [portLine] = (await once(receiver.stdout!, 'data')) as [Buffer];
const tracing = await setupTracing({
  endpoint: `http://127.0.0.1:${portLine.toString().trim()}/v1/traces`,
});

const body = JSON.stringify({
  model: 'instant',
  user: 'bench-user',
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 16,
});

async function block(server: LlmrServer, requests: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < requests) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
      if (response.statusCode !== 200)
        throw new Error(`The server answered ${response.statusCode}: ${response.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** CPU microseconds one block of `setup` takes (the exporter's flush included for `on`). */
async function measure(server: LlmrServer, setup: Setup): Promise<number> {
  setTracingEnabled(setup === 'on');
  const before = process.cpuUsage();
  await block(server, BLOCK);
  if (setup === 'on') await tracing.forceFlush();
  const spent = process.cpuUsage(before);
  setTracingEnabled(false);
  return spent.user + spent.system;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
};
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

const servers = new Map<Setup, LlmrServer>();
for (const setup of SETUPS) servers.set(setup, await createObservedServer(setup));
try {
  // Warm-up: JIT, the model, the exporter's connection.
  for (let round = 0; round < 3; round++)
    for (const setup of SETUPS) await measure(servers.get(setup)!, setup);
  const micros = new Map<Setup, number[]>(SETUPS.map((setup) => [setup, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let turn = 0; turn < SETUPS.length; turn++) {
      const setup = SETUPS[(turn + round) % SETUPS.length]!;
      micros.get(setup)!.push(await measure(servers.get(setup)!, setup));
    }
  }
  const baseline = micros.get('plain')!;
  const rows = SETUPS.map((setup) => {
    const perRequest = micros.get(setup)!.map((value) => value / BLOCK);
    const costs = micros.get(setup)!.map((value, round) => value / baseline[round]! - 1);
    return {
      setup,
      cpuMicrosPerRequest: quantile(perRequest, 0.5),
      cpuMicrosQuartiles: [quantile(perRequest, 0.25), quantile(perRequest, 0.75)],
      cost: quantile(costs, 0.5),
      costQuartiles: [quantile(costs, 0.25), quantile(costs, 0.75)],
    };
  });
  console.table(
    rows.map((row) => ({
      setup: row.setup,
      'CPU µs/request (median)': row.cpuMicrosPerRequest.toFixed(1),
      'CPU µs/request (IQR)': row.cpuMicrosQuartiles.map((value) => value.toFixed(1)).join('–'),
      'cost vs plain (median)': row.setup === 'plain' ? '' : percent(row.cost),
      'cost (IQR)': row.setup === 'plain' ? '' : row.costQuartiles.map(percent).join(' … '),
    })),
  );
  const cost = (setup: Setup) => rows.find((row) => row.setup === setup)!.cost;
  console.log(
    JSON.stringify({
      bench: 'observability',
      measure: 'server CPU time per request, paired with the plain server per round',
      blockRequests: BLOCK,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      tracingOffCost: cost('off'),
      tracingOnCost: cost('on'),
      fullFeaturesCost: cost('full'),
      targets: { tracingOff: 0.02, tracingOn: 0.1 },
      met: cost('off') < 0.02 && cost('on') < 0.1,
      rows,
    }),
  );
} finally {
  for (const server of servers.values()) await server.shutdown();
  await tracing.shutdown();
  receiver.kill('SIGTERM');
}
