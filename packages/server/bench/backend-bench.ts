/**
 * CPU per request of what sits between the HTTP layer and the model: `createRouterBackend`
 * over a router with one instant scripted model, as `instant-server.ts` builds it, next to
 * calling the same model directly, in the same run. Non-streaming (`backend.generate` vs
 * `model.doGenerate`) and streaming (`backend.stream` read to its end vs `model.doStream`
 * read to its end). Requests run 32 at a time, as the HTTP bench's connections do; CPU
 * time from `process.cpuUsage`, median and best of the rounds.
 *
 *   pnpm --filter @llmr/server bench:backend
 *   LLMR_BENCH_SHORT=1 ...   (fewer rounds)
 */
import type { ModelV1, ModelV1CallOptions, ModelV1StreamPart } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend } from '../src/index';

const SHORT = process.env.LLMR_BENCH_SHORT === '1';
const ROUNDS = SHORT ? 3 : 7;
const BLOCKS = SHORT ? 100 : 200;
const CONCURRENCY = 32;

const model: ModelV1 = createMockModel({ mode: 'script', replies: ['ok'], id: 'instant' });
const router = createRouter({ models: [{ id: 'instant', model }], retry: { maxRetries: 0 } });
const backend = createRouterBackend(router, { defaultModel: 'instant' });

const options = (): ModelV1CallOptions => ({
  messages: [{ role: 'user', content: 'hi' }],
  maxTokens: 16,
  abortSignal: new AbortController().signal,
});

async function drain(stream: ReadableStream<ModelV1StreamPart>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done);
}

let requestNumber = 0;
const calls: Record<string, () => Promise<unknown>> = {
  'router backend, generate': () =>
    backend.generate!('instant', options(), { requestId: `r${requestNumber++}` }),
  'model direct, doGenerate': () => model.doGenerate(options()),
  'router backend, stream': async () =>
    drain(
      (await backend.stream('instant', options(), { requestId: `r${requestNumber++}` })).stream,
    ),
  'model direct, doStream': async () => drain((await model.doStream(options())).stream),
};

async function block(call: () => Promise<unknown>): Promise<void> {
  const running: Promise<unknown>[] = [];
  for (let index = 0; index < CONCURRENCY; index++) running.push(call());
  await Promise.all(running);
}

/** CPU µs per request of one round of `BLOCKS` blocks. */
async function round(call: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let index = 0; index < BLOCKS; index++) await block(call);
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / (BLOCKS * CONCURRENCY);
}

const samples = new Map<string, number[]>(Object.keys(calls).map((name) => [name, []]));
for (const call of Object.values(calls)) for (let index = 0; index < 50; index++) await block(call);
for (let index = 0; index < ROUNDS; index++)
  // Every target in each round, so that drift in the machine's load spreads evenly.
  for (const [name, call] of Object.entries(calls)) samples.get(name)!.push(await round(call));

const rows = [...samples].map(([target, values]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    target,
    cpuMicrosPerRequestMedian: sorted[sorted.length >> 1]!,
    cpuMicrosPerRequestBest: sorted[0]!,
  };
});
console.table(
  rows.map((row) => ({
    target: row.target,
    'CPU µs/request (median)': row.cpuMicrosPerRequestMedian.toFixed(1),
    'CPU µs/request (best)': row.cpuMicrosPerRequestBest.toFixed(1),
  })),
);
console.log(JSON.stringify({ bench: 'server-backend', rounds: ROUNDS, rows }));
