/**
 * autocannon against the server (in its own process) with an instant model: requests/s
 * and p50/p99 latency, streaming and not, next to calling the same model in-process in
 * the same run. The difference in p50 is what the HTTP layer, routing and validation add.
 *
 *   pnpm --filter @llmr/server bench
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { collectStream } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { chatLoad } from './chat-load';

const DURATION = Number(process.env.LLMR_BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function inProcess() {
  const model = createMockModel({ mode: 'script', replies: ['ok'] });
  const samples: number[] = [];
  const deadline = performance.now() + DURATION * 1000;
  while (performance.now() < deadline) {
    const start = performance.now();
    await collectStream(
      (await model.doStream({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 16 })).stream,
    );
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return {
    requestsPerSecond: samples.length / DURATION,
    meanMs: samples.reduce((sum, sample) => sum + sample, 0) / samples.length,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
  };
}

async function load(url: string, stream: boolean, connections = CONNECTIONS) {
  const result = await chatLoad(url, { stream, connections, seconds: DURATION });
  return {
    requestsPerSecond: result.requests.average,
    meanMs: result.latency.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./instant-server.ts', import.meta.url))],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [line] = (await once(child.stdout!, 'data')) as [Buffer];
const url = line.toString().trim();
try {
  await load(url, false); // warm-up (JIT, model load)
  const rows = [
    { path: 'in-process model.doStream', ...(await inProcess()) },
    { path: 'HTTP JSON', ...(await load(url, false)) },
    { path: 'HTTP SSE', ...(await load(url, true)) },
    { path: 'HTTP JSON, 1 connection', ...(await load(url, false, 1)) },
  ];
  // Added latency: one request at a time, so no queueing hides in it. autocannon's
  // latencies have millisecond resolution.
  const addedP50Ms = rows[3]!.p50Ms - rows[0]!.p50Ms;
  // With one connection requests are back to back, so 1000 / requests-per-second is the
  // full round trip (client included), measured to the microsecond.
  const addedMeanMs = 1000 / rows[3]!.requestsPerSecond - rows[0]!.meanMs;
  console.table(
    rows.map((row) => ({
      ...row,
      requestsPerSecond: Math.round(row.requestsPerSecond),
      meanMs: row.meanMs.toFixed(3),
      p50Ms: row.p50Ms.toFixed(3),
      p99Ms: row.p99Ms.toFixed(3),
    })),
  );
  console.log(
    `added latency (JSON, 1 connection, round trip incl. client): mean ${addedMeanMs.toFixed(3)} ms; p50 ${addedP50Ms.toFixed(3)} ms at autocannon's 1 ms resolution`,
  );
  console.log(
    JSON.stringify({
      bench: 'server',
      durationSeconds: DURATION,
      connections: CONNECTIONS,
      rows,
      addedP50Ms,
      addedMeanMs,
    }),
  );
} finally {
  child.kill('SIGTERM');
}
