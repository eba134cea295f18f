/**
 * The worker engine against runtime-simple used directly, in the same run, on one
 * generated 73 MB Q8_0 GGUF (a random Llama written by @llmr/convert into a temp dir):
 *
 * 1. Starting four workers: each reading the file itself, or all sharing the bytes through
 *    one SharedArrayBuffer; and posting the file's bytes to four plain threads as a
 *    structured-cloned copy vs a SharedArrayBuffer view (bytes copied, time to ack).
 * 2. Event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) on the main
 *    thread, and the latency of a /health endpoint it serves (asked from another thread
 *    every 5 ms), while concurrent generations run on it directly vs in the worker pool.
 *
 *   pnpm --filter @llmr/engine-worker bench   (BENCH_TOKENS=64 BENCH_STREAMS=2 by default)
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { writeHfModelAsGguf } from '@llmr/convert';
import type { ModelV1 } from '@llmr/core';
import {
  fixtureTokenizer,
  type LlamaConfig,
  lazyRandomTensors,
  toConfigJson,
  toTokenizerConfig,
  toTokenizerJson,
} from '@llmr/fixtures';
import { loadSimpleGguf } from '@llmr/runtime-simple';
import { bundleForWorker } from '../src/__fixtures__/bundle-worker';
import { createWorkerLoader, type WorkerModel } from '../src/index';

const bpe = fixtureTokenizer(384);
const config: LlamaConfig = {
  vocabSize: bpe.vocab.size,
  hiddenSize: 1024,
  intermediateSize: 2816,
  numLayers: 6,
  numHeads: 16,
  numKvHeads: 4,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  contextLength: 512,
  bosTokenId: bpe.specialTokens['<|begin_of_text|>'],
  eosTokenId: bpe.specialTokens['<|im_end|>'],
};
const WORKERS = 4;
const TOKENS = Number(process.env.BENCH_TOKENS ?? 64);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 2);
const prompt = 'The router sent the request to the model that answered first.';

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** Time until every worker of a pool has loaded the model. */
async function startPool(
  loader: ReturnType<typeof createWorkerLoader>,
  source: string,
  options: Record<string, unknown>,
) {
  const start = performance.now();
  const model = (await loader.doLoad(source, { contextLength: 512, ...options })) as WorkerModel;
  await until(() => model.stats().ready === WORKERS);
  const ms = performance.now() - start;
  return { model, ms };
}

/** Posts the bytes to fresh threads that answer with the length they received. */
async function postToThreads(bytes: Uint8Array) {
  const threads = Array.from(
    { length: WORKERS },
    () =>
      new Worker(
        `const { parentPort } = require('node:worker_threads');
         parentPort.on('message', (view) => parentPort.postMessage(view.byteLength));`,
        { eval: true },
      ),
  );
  await Promise.all(
    threads.map((thread) => new Promise((resolve) => thread.once('online', resolve))),
  );
  const start = performance.now();
  await Promise.all(
    threads.map(
      (thread) =>
        new Promise((resolve) => {
          thread.once('message', resolve);
          thread.postMessage(bytes);
        }),
    ),
  );
  const ms = performance.now() - start;
  await Promise.all(threads.map((thread) => thread.terminate()));
  return ms;
}

/**
 * A /health endpoint served by the main thread, and a client on another thread that asks
 * it every 5 ms: its latency is what a load balancer's health check would see.
 */
async function healthProbe() {
  const server = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const latencies = [];
     let running = true;
     parentPort.on('message', () => { running = false; });
     (async () => {
       while (running) {
         const start = performance.now();
         await (await fetch(workerData)).text();
         latencies.push(performance.now() - start);
         await new Promise((resolve) => setTimeout(resolve, 5));
       }
       parentPort.postMessage(latencies);
     })();`,
    { eval: true, workerData: `http://127.0.0.1:${port}/health` },
  );
  return async () => {
    const latencies = await new Promise<number[]>((resolve) => {
      client.once('message', resolve);
      client.postMessage('stop');
    });
    await client.terminate();
    await new Promise((resolve) => server.close(resolve));
    latencies.sort((a, b) => a - b);
    const at = (quantile: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? NaN;
    return { healthP50Ms: at(0.5), healthP99Ms: at(0.99), healthRequests: latencies.length };
  };
}

/** Event-loop delay and /health latency while STREAMS generations of TOKENS tokens run. */
async function loopDelayDuring(model: ModelV1) {
  const stopProbe = await healthProbe();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  const results = await Promise.all(
    Array.from({ length: STREAMS }, () =>
      model.doGenerate({ prompt, maxTokens: TOKENS, temperature: 0 }),
    ),
  );
  const seconds = (performance.now() - start) / 1000;
  histogram.disable();
  const health = await stopProbe();
  const tokens = results.reduce((sum, result) => sum + (result.tokens?.length ?? 0), 0);
  return {
    ...health,
    p50Ms: histogram.percentile(50) / 1e6,
    p99Ms: histogram.percentile(99) / 1e6,
    maxMs: histogram.max / 1e6,
    tokensPerSecond: tokens / seconds,
    tokens: results.map((result) => result.tokens ?? []),
  };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'llmr-worker-bench-'));
  try {
    const path = join(dir, 'bench-q8_0.gguf');
    await writeHfModelAsGguf(
      {
        dir: 'bench',
        config: toConfigJson(config),
        tokenizer: toTokenizerJson(bpe),
        tokenizerConfig: toTokenizerConfig(bpe),
        tensors: lazyRandomTensors(config),
      },
      { output: path, dtype: 'q8_0' },
    );
    const fileBytes = (await stat(path)).size;
    const workerScript = await bundleForWorker('../worker-main.ts', join(dir, 'worker-main.mjs'));
    const loaderModule = await bundleForWorker(
      'simple-loader-module.ts',
      join(dir, 'loader-module.mjs'),
    );
    const loader = createWorkerLoader({
      loaderModule,
      workerScript,
      minWorkers: WORKERS,
      maxWorkers: WORKERS,
    });

    // 1. Start-up.
    const fromPath = await startPool(loader, path, {});
    await fromPath.model.dispose();
    const plain = new Uint8Array(await readFile(path));
    const shared = new Uint8Array(new SharedArrayBuffer(plain.byteLength));
    shared.set(plain);
    const fromShared = await startPool(loader, join(dir, 'shared.gguf'), { bytes: shared });
    const sharedConfirmed = fromShared.model.stats().workersOnSharedBytes;
    await fromShared.model.dispose();
    const cloneMs = await postToThreads(plain);
    const shareMs = await postToThreads(shared);
    const startRows = [
      {
        case: `${WORKERS} workers load from the file path`,
        ms: Number(fromPath.ms.toFixed(1)),
        'bytes read or copied': WORKERS * fileBytes,
      },
      {
        case: `${WORKERS} workers load from one SharedArrayBuffer`,
        ms: Number(fromShared.ms.toFixed(1)),
        'bytes read or copied': 0,
      },
      {
        case: `post bytes to ${WORKERS} threads: structured clone`,
        ms: Number(cloneMs.toFixed(2)),
        'bytes read or copied': WORKERS * fileBytes,
      },
      {
        case: `post bytes to ${WORKERS} threads: SharedArrayBuffer`,
        ms: Number(shareMs.toFixed(2)),
        'bytes read or copied': 0,
      },
    ];

    // 2. Event-loop delay: runtime-simple directly on the main thread vs the worker pool.
    const direct = await loadSimpleGguf(path, { contextLength: 512 });
    await direct.doGenerate({ prompt, maxTokens: 4, temperature: 0 }); // warm-up
    const onMain = await loopDelayDuring(direct);
    await direct.dispose();
    const pool = (await createWorkerLoader({
      loaderModule,
      workerScript,
      minWorkers: STREAMS,
      maxWorkers: STREAMS,
    }).doLoad(join(dir, 'pool.gguf'), { contextLength: 512, bytes: shared })) as WorkerModel;
    await until(() => pool.stats().ready === STREAMS);
    await pool.doGenerate({ prompt, maxTokens: 4, temperature: 0 }); // warm-up
    const inWorkers = await loopDelayDuring(pool);
    await pool.dispose();
    const sameTokens = JSON.stringify(onMain.tokens) === JSON.stringify(inWorkers.tokens);
    const loopRows = [
      ['runtime-simple on the main thread', onMain],
      [`engine-worker pool (${STREAMS} workers)`, inWorkers],
    ].map(([runner, result]) => {
      const row = result as typeof onMain;
      return {
        runner,
        'loop delay p50 ms': Number(row.p50Ms.toFixed(2)),
        'loop delay p99 ms': Number(row.p99Ms.toFixed(2)),
        'loop delay max ms': Number(row.maxMs.toFixed(2)),
        '/health p50 ms': Number(row.healthP50Ms.toFixed(2)),
        '/health p99 ms': Number(row.healthP99Ms.toFixed(2)),
        'tok/s (all streams)': Number(row.tokensPerSecond.toFixed(1)),
      };
    });

    console.table(startRows);
    console.table(loopRows);
    const round = ({ tokens: _tokens, ...row }: typeof onMain) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [key, Number(value.toFixed(2))]),
      );
    console.log(
      JSON.stringify({
        bench: 'engine-worker',
        config: {
          ...config,
          dtype: 'q8_0',
          fileBytes,
          workers: WORKERS,
          streams: STREAMS,
          tokens: TOKENS,
        },
        startup: {
          fromPathMs: Number(fromPath.ms.toFixed(1)),
          fromSharedBytesMs: Number(fromShared.ms.toFixed(1)),
          workersConfirmedShared: sharedConfirmed,
          postCloneMs: Number(cloneMs.toFixed(2)),
          postSharedMs: Number(shareMs.toFixed(2)),
          bytesCopiedClone: WORKERS * fileBytes,
          bytesCopiedShared: 0,
        },
        eventLoop: { mainThread: round(onMain), workerPool: round(inWorkers), sameTokens },
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
