/**
 * What tracing costs `llmr serve` — the server as users run it, over real sockets — in
 * throughput: each setup is an `llmr serve` process of its own (the built CLI), loaded in turn by
 * autocannon over loopback, on one of two models (`LLMR_BENCH_MODELS`, comma-separated):
 * - `mock` (the default): a scripted mock model that answers in microseconds, so the server's
 *   own work is all there is (the harshest case: tracing's cost against nothing else);
 * - `default`: the built-in default model (a tiny GGUF on real llama.cpp), what `llmr serve`
 *   serves with no arguments. Its CPU per request differs by ±15% from one process to the
 *   next, far more than tracing costs it: `LLMR_BENCH_MODEL=default pnpm bench:in-process`
 *   (`pnpm bench:default-model`) measures that case in one process instead.
 * Setups: tracing off (the default), tracing on with the whole span tree (OTLP/protobuf to a
 * receiver in another process), and tracing on with one span per request
 * (`LLMR_TRACING_DETAIL=requests`). For each: requests/s, and the CPU time the server process
 * (all its threads, llama.cpp's included) spent per request, from /proc (Linux).
 * Setups take turns in rounds, in an order that alternates, each in a fresh process (see
 * below), and each round's cost is paired with tracing off in the same round; the table gives
 * the medians, and the JSON every round's numbers.
 *
 *   pnpm --filter @llmr/cli build && pnpm --filter @llmr/observability bench:serve
 *   LLMR_BENCH_SECONDS=4 LLMR_BENCH_ROUNDS=6 LLMR_BENCH_MODELS=mock ...   (the defaults)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startOtlpSink } from './otlp-sink';

const SHORT = process.env.LLMR_BENCH_SHORT === '1';
const SECONDS = Number(process.env.LLMR_BENCH_SECONDS ?? (SHORT ? 3 : 4));
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? (SHORT ? 1 : 6));
const MODELS = (process.env.LLMR_BENCH_MODELS ?? 'mock').split(',') as ModelKind[];
/** Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ: 100 on every mainstream build). */
const CLOCK_TICKS = 100;
const SETUPS = ['off', 'on', 'requests'] as const;
type Setup = (typeof SETUPS)[number];
type ModelKind = 'default' | 'mock';

const MODEL_OF: Record<ModelKind, { args: string[]; id: string; connections: number }> = {
  // One client keeps the default model's one core busy (the server answers back to back), and
  // every request is the same model work. With several, how many requests share a decode
  // batch changes from run to run, and CPU per request with it, by ±20%: more than tracing.
  default: { args: [], id: 'llmr-default', connections: 1 },
  mock: { args: ['--model', 'instant=mock:script?reply=ok'], id: 'instant', connections: 32 },
};

const cliBin = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
if (!existsSync(cliBin))
  throw new Error(
    `${cliBin} is missing: build the CLI first (pnpm --filter @llmr/cli build, or pnpm build).`,
  );

const sink = await startOtlpSink();
const endpoint = sink.endpoint;

interface Server {
  setup: Setup;
  model: ModelKind;
  child: ChildProcess;
  url: string;
}

/** The servers running now (stopped in the end if a run fails). */
const servers: Server[] = [];

async function startServe(setup: Setup, model: ModelKind, home: string): Promise<Server> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    LLMR_HOME: home,
  };
  for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
  if (setup !== 'off') env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = endpoint;
  env.LLMR_TRACING_DETAIL = setup === 'requests' ? 'requests' : undefined;
  const child = spawn(
    process.execPath,
    [cliBin, 'serve', ...MODEL_OF[model].args, '--port', '0', '--no-console'],
    { stdio: ['ignore', 'ignore', 'pipe'], env },
  );
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`llmr serve (${setup}, ${model}) did not start in 120 s:\n${seen}`)),
      120_000,
    );
    child.stderr!.on('data', (data: Buffer) => {
      seen += data.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`llmr serve (${setup}, ${model}) exited (${code}):\n${seen}`));
    });
  });
  if (setup !== 'off' && !seen.includes('tracing'))
    throw new Error(`llmr serve (${setup}) did not turn tracing on:\n${seen}`);
  child.stderr!.resume();
  return { setup, model, child, url };
}

async function stop(server: Server): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  if (server.child.exitCode !== null) return;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system, every thread) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function load(server: Server, seconds: number) {
  const before = cpuSeconds(server.child.pid!);
  const result = await autocannon({
    url: `${server.url}/v1/chat/completions`,
    method: 'POST',
    connections: MODEL_OF[server.model].connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL_OF[server.model].id,
      messages: [{ role: 'user', content: 'Hello' }],
      // Greedy: every request generates the same tokens, so setups do the same model work.
      temperature: 0,
      max_tokens: 16,
    }),
  });
  const after = cpuSeconds(server.child.pid!);
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx responses and ${result.errors} errors under load`);
  return {
    requestsPerSecond: result.requests.total / seconds,
    cpuMicrosPerRequest: ((after - before) * 1e6) / Math.max(1, result.requests.total),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

const home = await mkdtemp(join(tmpdir(), 'llmr-bench-home-'));
const rows: object[] = [];
const costs: Record<string, { cpu: number; throughput: number; rounds: number[][] }> = {};
try {
  for (const model of MODELS) {
    if (!(model in MODEL_OF)) throw new Error(`Unknown model kind "${model}": default or mock.`);
    const runs = new Map<Setup, Awaited<ReturnType<typeof load>>[]>(
      SETUPS.map((setup) => [setup, []]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? SETUPS : [...SETUPS].reverse();
      for (const setup of order) {
        // A fresh process per setup and round: where a process's memory lands (the model's
        // weights, the JIT's code) makes one process a few percent faster or slower than
        // another for its whole life, a bias that pairing rounds cannot remove but new
        // processes average out. (The first start builds the default model into the home.)
        const server = await startServe(setup, model, home);
        servers.push(server);
        await load(server, SHORT ? 1 : 2); // warm-up: JIT, model load, exporter connection
        runs.get(setup)!.push(await load(server, SECONDS));
        await stop(server);
      }
    }
    const off = runs.get('off')!;
    for (const setup of SETUPS) {
      const own = runs.get(setup)!;
      const cpuCost = median(
        own.map((run, i) => run.cpuMicrosPerRequest / off[i]!.cpuMicrosPerRequest - 1),
      );
      const throughputCost = median(
        own.map((run, i) => 1 - run.requestsPerSecond / off[i]!.requestsPerSecond),
      );
      if (setup !== 'off')
        costs[`${model} ${setup}`] = {
          cpu: cpuCost,
          throughput: throughputCost,
          // Every round's CPU µs per request, tracing off and this setup: the spread behind the median.
          rounds: own.map((run, i) => [
            Math.round(off[i]!.cpuMicrosPerRequest),
            Math.round(run.cpuMicrosPerRequest),
          ]),
        };
      rows.push({
        model,
        tracing:
          setup === 'off' ? 'off' : setup === 'on' ? 'on (span tree)' : 'on (one span per request)',
        'req/s': median(own.map((run) => run.requestsPerSecond)).toFixed(0),
        'CPU µs/request': median(own.map((run) => run.cpuMicrosPerRequest)).toFixed(0),
        'CPU cost vs off': setup === 'off' ? '' : percent(cpuCost),
        'throughput lost vs off': setup === 'off' ? '' : percent(throughputCost),
      });
    }
  }
  console.table(rows);
  // Spans must really have gone out: a server that traced nothing would cost nothing.
  const exportedBytes = await sink.exportedBytes();
  if (exportedBytes === 0)
    throw new Error('The OTLP receiver got no spans from the traced servers.');
  console.log(`spans exported: ${(exportedBytes / 1e6).toFixed(1)} MB of OTLP/protobuf`);
  const target = 0.1;
  console.log(
    JSON.stringify({
      bench: 'observability-serve',
      measure: 'llmr serve over loopback under autocannon: requests/s and server CPU per request',
      seconds: SECONDS,
      rounds: ROUNDS,
      exportedBytes,
      costs,
      target,
      rows,
    }),
  );
} finally {
  for (const server of servers) server.child.kill('SIGTERM');
  await Promise.all(
    servers.map((server) =>
      server.child.exitCode === null ? once(server.child, 'exit') : Promise.resolve(),
    ),
  );
  sink.stop();
  await rm(home, { recursive: true, force: true });
}
