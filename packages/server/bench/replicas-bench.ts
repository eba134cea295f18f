/**
 * Load test of scale-out: autocannon against 1 and 2 server processes sharing one
 * redis-server (started here), JSON and SSE, with per-key limits on (set high enough never
 * to refuse, so every request runs the Lua script). The baseline in the same run is one
 * process with its limits in memory. Prints a table and one JSON line.
 *
 *   pnpm --filter @llmr/server bench:replicas      (LLMR_BENCH_SECONDS, default 5)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../src/__fixtures__/redis-server';
import { chatLoad } from './chat-load';

const DURATION = Number(process.env.LLMR_BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;
const children: ChildProcess[] = [];

async function startReplica(redisUrl?: string): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./instant-server.ts', import.meta.url))],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LLMR_BENCH_RPM: '1000000000', LLMR_REDIS_URL: redisUrl ?? '' },
    },
  );
  children.push(child);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const url = line.toString().trim();
  // Wait until the replica reports its shared state connected (or in memory).
  for (;;) {
    const ready = (await (await fetch(`${url}/ready`)).json()) as {
      shared_state?: { mode: string };
    };
    if (ready.shared_state?.mode !== 'degraded') return url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function load(urls: string[], stream: boolean, duration = DURATION) {
  const result = await chatLoad(urls, { stream, connections: CONNECTIONS, seconds: duration });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p97_5Ms: result.latency.p97_5,
    p99Ms: result.latency.p99,
  };
}

const redis = await startRedisServer();
try {
  const memory = await startReplica();
  const first = await startReplica(redis.url);
  const second = await startReplica(redis.url);
  for (const url of [memory, first, second]) await load([url], false, 1); // warm-up
  const rows = [];
  for (const stream of [false, true]) {
    const format = stream ? 'SSE' : 'JSON';
    rows.push({ setup: '1 replica, limits in memory', format, ...(await load([memory], stream)) });
    rows.push({ setup: '1 replica, limits in Redis', format, ...(await load([first], stream)) });
    rows.push({
      setup: '2 replicas, limits in Redis',
      format,
      ...(await load([first, second], stream)),
    });
  }
  console.table(rows);
  console.log(
    JSON.stringify({
      bench: 'server-replicas',
      durationSeconds: DURATION,
      connections: CONNECTIONS,
      note: 'autocannon reports p90, p97.5 and p99, not p95',
      rows,
    }),
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await redis.stop();
}
