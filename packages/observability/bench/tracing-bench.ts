/**
 * What observability costs the server: requests/s under autocannon for the plain server
 * (the baseline), the server with the observability plugin and tracing
 * off, and with tracing on, exporting every span over OTLP/HTTP to a receiver in this
 * process. Each is the median of interleaved rounds. Targets: off under 2%, on under 10% of the baseline's throughput.
 *
 *   LLMR_BENCH_SECONDS=5 LLMR_BENCH_ROUNDS=3 pnpm --filter @llmr/observability bench
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

// Requests/s is the target's measure; CPU per request in the server process is the one
// that survives a busy machine. Both are printed.
const DURATION = Number(process.env.LLMR_BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;

let exportedBytes = 0;
const receiver = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
  request.on('end', () =>
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
  );
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;

type Mode = 'plain' | 'off' | 'on';
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? 3);

/** Starts one server process per setup; all stay up, idle but for the one under load. */
async function startServer(mode: Mode) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./observed-server.ts', import.meta.url)),
      mode,
      endpoint,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { mode, child, url: line.toString().trim() };
}

async function load(url: string, duration: number) {
  const result = await autocannon({
    url: `${url}/v1/chat/completions`,
    method: 'POST',
    connections: CONNECTIONS,
    duration,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'instant',
      user: 'bench-user',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 16,
    }),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx responses and ${result.errors} errors under load`);
  return result;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const servers = await Promise.all((['plain', 'off', 'on'] as const).map(startServer));
try {
  for (const server of servers) await load(server.url, 1); // warm-up: JIT, model load
  // Rounds interleave the setups, so a slow spell of a shared machine hits all of them.
  const samples = new Map<
    Mode,
    { requestsPerSecond: number[]; p50Ms: number[]; p99Ms: number[]; cpuMicrosPerRequest: number[] }
  >();
  const cpu = async (url: string) => {
    const usage = (await (await fetch(`${url}/__bench/cpu`)).json()) as {
      user: number;
      system: number;
    };
    return usage.user + usage.system;
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of servers) {
      const before = await cpu(server.url);
      const result = await load(server.url, DURATION);
      const spent = (await cpu(server.url)) - before;
      const entry = samples.get(server.mode) ?? {
        requestsPerSecond: [],
        p50Ms: [],
        p99Ms: [],
        cpuMicrosPerRequest: [],
      };
      entry.cpuMicrosPerRequest.push(spent / result.requests.total);
      entry.requestsPerSecond.push(result.requests.average);
      entry.p50Ms.push(result.latency.p50);
      entry.p99Ms.push(result.latency.p99);
      samples.set(server.mode, entry);
    }
  }
  const rows = servers.map(({ mode }) => {
    const entry = samples.get(mode)!;
    return {
      mode,
      requestsPerSecond: median(entry.requestsPerSecond),
      p50Ms: median(entry.p50Ms),
      p99Ms: median(entry.p99Ms),
      cpuMicrosPerRequest: median(entry.cpuMicrosPerRequest),
      rounds: entry.requestsPerSecond.map(Math.round).join(' '),
    };
  });
  const baseline = rows[0]!;
  const costOf = (row: { requestsPerSecond: number }) =>
    1 - row.requestsPerSecond / baseline.requestsPerSecond;
  const cpuCostOf = (row: { cpuMicrosPerRequest: number }) =>
    row.cpuMicrosPerRequest / baseline.cpuMicrosPerRequest - 1;
  console.table(
    rows.map((row) => ({
      ...row,
      requestsPerSecond: Math.round(row.requestsPerSecond),
      cpuMicrosPerRequest: Math.round(row.cpuMicrosPerRequest),
      throughputCost: row.mode === 'plain' ? '' : `${(costOf(row) * 100).toFixed(1)}%`,
      cpuCost: row.mode === 'plain' ? '' : `${(cpuCostOf(row) * 100).toFixed(1)}%`,
    })),
  );
  console.log(
    JSON.stringify({
      bench: 'observability',
      durationSeconds: DURATION,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      tracingOffCost: costOf(rows[1]!),
      tracingOnCost: costOf(rows[2]!),
      tracingOffCpuCost: cpuCostOf(rows[1]!),
      tracingOnCpuCost: cpuCostOf(rows[2]!),
      exportedBytes,
      rows,
    }),
  );
} finally {
  for (const server of servers) server.child.kill('SIGTERM');
  await Promise.all(servers.map((server) => once(server.child, 'exit')));
  receiver.close();
}
