/**
 * What observability costs the llmr server, against the plain server (no observability)
 * in the same run: every tracing hook in place with tracing off (target: under 2%), the
 * same with tracing on, every span exported over OTLP/HTTP (protobuf, the default; set
 * `LLMR_BENCH_PROTOCOL=http/json` for JSON) to a receiver in the bench's own process (target:
 * under 10%), and everything the CLI wires (metrics, SLOs, an experiment, feedback) with
 * tracing off (reported, no target). See `observed-server.ts`.
 *
 * Built to give the same answer on a busy, shared machine, where requests per second swing
 * by half between runs:
 * - the measure is CPU time per request, not throughput: time this process spends waiting
 *   for a core does not count;
 * - each server runs in a process of its own and takes its requests through Fastify's
 *   `inject` (the whole request lifecycle and every hook, no sockets), so no client
 *   process competes and only one server works at a time;
 * - setups take turns in short blocks (A B C D, B C D A, ...), and each block's cost is
 *   paired with the baseline block of its own round, so a slow spell hits both sides of a
 *   pair; the table gives the median of the paired costs and their interquartile range,
 *   and the cost between each setup's quietest tenth of blocks;
 * - the exporter is flushed inside each traced block, so its work is charged to tracing;
 *   the receiver runs in this (the bench's) process and only counts bytes, so what a
 *   collector does with the spans is charged to no server;
 * - a CPU profile of each server gives the share of its busy time spent in this package's
 *   and OpenTelemetry's own code, and in the garbage collector: ratios within one process,
 *   which a slow machine leaves alone (`profile-shares.ts`).
 * Leaving sockets and HTTP parsing out makes the baseline cheaper, so the costs shown are
 * if anything higher than over the network.
 *
 *   LLMR_BENCH_BLOCK=100 LLMR_BENCH_ROUNDS=80 pnpm --filter @llmr/observability bench
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ProfileShares } from './profile-shares';

const BLOCK = Number(process.env.LLMR_BENCH_BLOCK ?? 100);
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? 80);
const PROFILE_ROUNDS = Number(process.env.LLMR_BENCH_PROFILE_ROUNDS ?? 10);
const SETUPS = ['plain', 'off', 'on', 'requests', 'full'] as const;
type Setup = (typeof SETUPS)[number];

let exportedBytes = 0;
const receiver = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
  // An empty ExportTraceServiceResponse in the request's own encoding.
  request.on('end', () => {
    if (request.headers['content-type']?.startsWith('application/json'))
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;

async function start(setup: Setup): Promise<ChildProcess> {
  const child = fork(
    fileURLToPath(new URL('./observed-server.ts', import.meta.url)),
    [setup, endpoint],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`The ${setup} server exited with ${code} before it was ready.`);
    }),
  ]);
  return child;
}

async function ask<T>(child: ChildProcess, message: object): Promise<T> {
  const reply = once(child, 'message') as Promise<[T]>;
  child.send(message);
  return (await reply)[0];
}

/** CPU microseconds one block of requests took in that server's process. */
async function measure(child: ChildProcess): Promise<number> {
  const reply = once(child, 'message') as Promise<[{ cpuMicros?: number; error?: string }]>;
  child.send({ block: BLOCK });
  const [answer] = await reply;
  if (answer.error !== undefined) throw new Error(answer.error);
  return answer.cpuMicros!;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
};
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

const started = await Promise.allSettled(SETUPS.map(start));
const children = new Map<Setup, ChildProcess>();
started.forEach((result, index) => {
  if (result.status === 'fulfilled') children.set(SETUPS[index]!, result.value);
});
try {
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  // Warm-up: JIT, the model, the exporter's connection.
  for (let round = 0; round < 3; round++)
    for (const setup of SETUPS) await measure(children.get(setup)!);
  const micros = new Map<Setup, number[]>(SETUPS.map((setup) => [setup, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let turn = 0; turn < SETUPS.length; turn++) {
      const setup = SETUPS[(turn + round) % SETUPS.length]!;
      micros.get(setup)!.push(await measure(children.get(setup)!));
    }
  }
  // Then the profiles, apart: the profiler's own sampling would weigh on the CPU times.
  for (const child of children.values()) await ask(child, { profile: 'start' });
  for (let round = 0; round < PROFILE_ROUNDS; round++)
    for (const setup of SETUPS) await measure(children.get(setup)!);
  const shares = new Map<Setup, ProfileShares>();
  for (const setup of SETUPS) {
    const answer = await ask<{ shares: ProfileShares }>(children.get(setup)!, { profile: 'stop' });
    shares.set(setup, answer.shares);
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
      // Contention only ever adds CPU time, so each setup's quietest blocks come closest to
      // what a request costs on a machine of its own.
      quietMicrosPerRequest: quantile(perRequest, 0.1),
      profile: shares.get(setup)!,
    };
  });
  const quietCost = (row: { quietMicrosPerRequest: number }) =>
    row.quietMicrosPerRequest / rows[0]!.quietMicrosPerRequest - 1;
  console.table(
    rows.map((row) => ({
      setup: row.setup,
      'CPU µs/request (median)': row.cpuMicrosPerRequest.toFixed(1),
      'CPU µs/request (IQR)': row.cpuMicrosQuartiles.map((value) => value.toFixed(1)).join('–'),
      'cost vs plain (median)': row.setup === 'plain' ? '' : percent(row.cost),
      'cost (IQR)': row.setup === 'plain' ? '' : row.costQuartiles.map(percent).join(' … '),
      'CPU µs/request (quietest 10%)': row.quietMicrosPerRequest.toFixed(1),
      'cost, quietest 10%': row.setup === 'plain' ? '' : percent(quietCost(row)),
      'own code (profile)': percent(row.profile.observability + row.profile.openTelemetry),
      'GC (profile)': percent(row.profile.garbageCollector),
    })),
  );
  const cost = (setup: Setup) => rows.find((row) => row.setup === setup)!.cost;
  console.log(
    JSON.stringify({
      bench: 'observability',
      measure: 'server CPU time per request, paired with the plain server per round',
      blockRequests: BLOCK,
      rounds: ROUNDS,
      profileRounds: PROFILE_ROUNDS,
      protocol: process.env.LLMR_BENCH_PROTOCOL ?? 'http/protobuf',
      exportedBytes,
      tracingOffCost: cost('off'),
      tracingOnCost: cost('on'),
      tracingRequestsCost: cost('requests'),
      fullFeaturesCost: cost('full'),
      quietestDecileCosts: Object.fromEntries(rows.map((row) => [row.setup, quietCost(row)])),
      targets: { tracingOff: 0.02, tracingOn: 0.1 },
      met: cost('off') < 0.02 && cost('on') < 0.1,
      metPerRequestDetail: cost('off') < 0.02 && cost('requests') < 0.1,
      rows,
    }),
  );
} finally {
  for (const child of children.values()) child.send({ stop: true });
  await Promise.all([...children.values()].map((child) => once(child, 'exit')));
  receiver.close();
}
