/**
 * What the llmr server costs per request, next to a bare Fastify route returning the same
 * chat-completion JSON and SSE chunks, each server in its own process under autocannon.
 * Throughput on a shared machine is noisy, so besides requests/s and p50 it measures the
 * CPU time the server process spent per request (from /proc, Linux), and runs the targets
 * in alternating rounds and reports medians.
 *
 * Targets: `bare` (bare-fastify-server.ts), `llmr` (createServer, instant-server.ts) and,
 * once the CLI is built, `llmr serve` with a scripted mock model (logs at the default level,
 * JSON since stdout is not a terminal, observability on: as a user runs it).
 * LLMR_BENCH_COMPARE=<another checkout's root> adds that checkout's llmr targets to the
 * same rounds.
 *
 *   pnpm --filter @llmr/server bench
 *   LLMR_BENCH_SHORT=1 ...   (2 s per run, 1 round: a smoke run that ends in ~30 s)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chatLoad } from './chat-load';

const SHORT = process.env.LLMR_BENCH_SHORT === '1';
const SECONDS = Number(process.env.LLMR_BENCH_SECONDS ?? (SHORT ? 2 : 5));
const ROUNDS = Number(process.env.LLMR_BENCH_ROUNDS ?? (SHORT ? 1 : 3));
const CONNECTIONS = 32;
/** Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ: 100 on every mainstream build). */
const CLOCK_TICKS = 100;

interface Target {
  name: string;
  child: ChildProcess;
  url: string;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

async function start(name: string, args: string[], urlFrom: 'stdout' | 'stderr'): Promise<Target> {
  const child = spawn(process.execPath, args, {
    stdio: [
      'ignore',
      urlFrom === 'stdout' ? 'pipe' : 'ignore',
      urlFrom === 'stderr' ? 'pipe' : 'inherit',
    ],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const output = urlFrom === 'stdout' ? child.stdout! : child.stderr!;
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start in 60 s:\n${seen}`)),
      60_000,
    );
    output.on('data', (data: Buffer) => {
      seen += data.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${seen}`)));
  });
  output.resume();
  return { name, child, url };
}

/** CPU seconds (user + system) the process has used so far, or undefined off Linux. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

async function load(target: Target, stream: boolean, seconds = SECONDS) {
  const before = cpuSeconds(target.child.pid!);
  const result = await chatLoad(target.url, { stream, connections: CONNECTIONS, seconds });
  const after = cpuSeconds(target.child.pid!);
  const requests = result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuMicrosPerRequest:
      before !== undefined && after !== undefined && requests > 0
        ? ((after - before) * 1e6) / requests
        : undefined,
  };
}

const median = (values: number[]) => {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The llmr targets of one checkout (its root given): createServer, and the CLI once built. */
async function llmrTargets(root: string, suffix: string): Promise<Target[]> {
  const found = [
    await start(
      `llmr${suffix}`,
      ['--import', 'tsx', join(root, 'packages/server/bench/instant-server.ts')],
      'stdout',
    ),
  ];
  const cliBin = join(root, 'packages/cli/dist/bin.js');
  if (existsSync(cliBin) && process.env.LLMR_BENCH_CLI !== '0')
    found.push(
      await start(
        `llmr serve${suffix}`,
        [cliBin, 'serve', '--model', 'instant=mock:script?reply=ok', '--port', '0'],
        'stderr',
      ),
    );
  return found;
}

const targets: Target[] = [];
try {
  targets.push(
    await start('bare', ['--import', 'tsx', here('./bare-fastify-server.ts')], 'stdout'),
  );
  targets.push(...(await llmrTargets(here('../../..'), '')));
  // Another checkout (e.g. the base of a change) measured in the same rounds: a before and
  // after that share the machine's state.
  const compare = process.env.LLMR_BENCH_COMPARE;
  if (compare) targets.push(...(await llmrTargets(compare, ' (compare)')));
  // Warm-up: JIT and first-request work out of the measurement.
  for (const target of targets)
    for (const stream of [false, true]) await load(target, stream, SHORT ? 1 : 2);
  const samples = new Map<string, Awaited<ReturnType<typeof load>>[]>();
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order each round so that drift in the machine's load spreads evenly.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order)
      for (const stream of [false, true]) {
        const key = `${target.name}|${stream ? 'sse' : 'json'}`;
        samples.set(key, [...(samples.get(key) ?? []), await load(target, stream)]);
      }
  }
  const rows = [...samples].map(([key, runs]) => {
    const [name, mode] = key.split('|') as [string, 'json' | 'sse'];
    return {
      target: name,
      mode,
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond))!,
      p50Ms: median(runs.map((run) => run.p50Ms))!,
      p99Ms: median(runs.map((run) => run.p99Ms))!,
      cpuMicrosPerRequest: median(runs.map((run) => run.cpuMicrosPerRequest ?? Number.NaN)),
    };
  });
  const row = (target: string, mode: string) =>
    rows.find((candidate) => candidate.target === target && candidate.mode === mode);
  const ratios: Record<string, number | undefined> = {};
  for (const name of targets.map((target) => target.name).filter((name) => name !== 'bare'))
    for (const mode of ['json', 'sse']) {
      const ours = row(name, mode);
      const bare = row('bare', mode);
      if (!ours || !bare) continue;
      ratios[`${name} ${mode} req/s vs bare`] = ours.requestsPerSecond / bare.requestsPerSecond;
      ratios[`${name} ${mode} p50 added ms`] = ours.p50Ms - bare.p50Ms;
      if (ours.cpuMicrosPerRequest !== undefined && bare.cpuMicrosPerRequest !== undefined)
        ratios[`${name} ${mode} CPU us/request added`] =
          ours.cpuMicrosPerRequest - bare.cpuMicrosPerRequest;
    }
  console.table(
    rows.map((entry) => ({
      ...entry,
      requestsPerSecond: Math.round(entry.requestsPerSecond),
      cpuMicrosPerRequest: entry.cpuMicrosPerRequest?.toFixed(0),
    })),
  );
  console.table(
    Object.entries(ratios).map(([measure, value]) => ({ measure, value: value?.toFixed(3) })),
  );
  console.log(
    JSON.stringify({
      bench: 'server-overhead',
      seconds: SECONDS,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      rows,
      ratios,
    }),
  );
} finally {
  for (const target of targets) target.child.kill('SIGTERM');
  await Promise.all(
    targets.map((target) =>
      target.child.exitCode === null ? once(target.child, 'exit') : Promise.resolve(),
    ),
  );
}
