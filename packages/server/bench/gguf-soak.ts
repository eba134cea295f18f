/**
 * Soak: 16 concurrent clients streaming chat completions from a small GGUF model (a
 * fixtures "bigram" Llama, written at bench time by @llmr/convert, run by llama.cpp) for a
 * fixed time against the server in its own process. Reports the server's resident memory
 * over time (start, peak, end), event-loop delay p99, active handles, errors and tokens/s;
 * then, in the same run, the same model driven directly (16 concurrent doStream calls, no
 * HTTP) for tokens/s, so the server's overhead shows. Prints a table and one JSON line.
 *
 *   pnpm --filter @llmr/server bench:soak            (LLMR_SOAK_SECONDS=60 by default)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGgufLoader } from '@llmr/loader-gguf';
import { writeBigramGguf } from '../src/__fixtures__/bigram-gguf';

const SECONDS = Number(process.env.LLMR_SOAK_SECONDS ?? 60);
const DIRECT_SECONDS = Math.min(SECONDS, Number(process.env.LLMR_SOAK_DIRECT_SECONDS ?? 15));
const CLIENTS = Number(process.env.LLMR_SOAK_CLIENTS ?? 16);
const MAX_TOKENS = 64;
const PROMPTS = ['The cat', 'Once upon a time', 'In the morning', 'A small model', 'Tell me'];

interface Sample {
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  eventLoopRunP99Ms: number;
  activeHandles: number;
  inFlight: number;
}

function startServer(modelPath: string) {
  const script = fileURLToPath(new URL('./gguf-soak-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, modelPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LLMR_SOAK_SEQUENCES: String(CLIENTS) },
  });
  const samples: Sample[] = [];
  const ready = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the soak server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { type: string; url?: string } & Sample;
      if (message.type === 'ready') resolve(message.url!);
      else if (message.type === 'sample') samples.push(message);
    });
  });
  return {
    ready,
    samples,
    /** A sample after a full garbage collection. */
    async collected(): Promise<Sample> {
      const count = samples.length;
      child.kill('SIGUSR2');
      while (samples.length === count) await new Promise((resolve) => setTimeout(resolve, 20));
      return samples.at(-1)!;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One client: streaming requests back to back until the deadline; counts tokens and errors. */
async function client(url: string, index: number, deadline: number) {
  let tokens = 0;
  let requests = 0;
  const errors: string[] = [];
  for (let turn = 0; Date.now() < deadline; turn++) {
    try {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'soak',
          messages: [{ role: 'user', content: PROMPTS[(index + turn) % PROMPTS.length] }],
          max_tokens: MAX_TOKENS,
          temperature: 0.8,
          seed: index * 1000 + turn,
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      const text = await response.text();
      if (response.status !== 200) {
        errors.push(`${response.status} ${text.slice(0, 200)}`);
        continue;
      }
      for (const block of text.split('\n\n')) {
        if (!block.startsWith('data: ') || block === 'data: [DONE]') continue;
        const chunk = JSON.parse(block.slice(6)) as {
          error?: { message: string };
          usage?: { completion_tokens: number };
        };
        if (chunk.error) errors.push(chunk.error.message);
        if (chunk.usage) tokens += chunk.usage.completion_tokens;
      }
      requests++;
    } catch (error) {
      errors.push(String(error));
    }
  }
  return { tokens, requests, errors };
}

/** The same model without the server: CLIENTS concurrent doStream loops. */
async function direct(modelPath: string) {
  const model = await createGgufLoader({
    defaults: { sequences: CLIENTS, contextLength: 512, maxQueue: 256 },
  }).doLoad(modelPath, {});
  const deadline = Date.now() + DIRECT_SECONDS * 1000;
  const started = performance.now();
  const counts = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, index) => {
      let tokens = 0;
      for (let turn = 0; Date.now() < deadline; turn++) {
        const { stream } = await model.doStream({
          messages: [{ role: 'user', content: PROMPTS[(index + turn) % PROMPTS.length]! }],
          maxTokens: MAX_TOKENS,
          temperature: 0.8,
          seed: index * 1000 + turn,
        });
        for await (const part of stream as unknown as AsyncIterable<{
          type: string;
          usage?: { outputTokens: number };
        }>)
          if (part.type === 'usage') tokens += part.usage?.outputTokens ?? 0;
      }
      return tokens;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await model.dispose();
  return { tokensPerSecond: counts.reduce((sum, count) => sum + count, 0) / seconds };
}

/** About ten samples spread over the run, and the last. */
const everyTenth = (samples: Sample[]) => [
  ...samples.filter((_, index) => index % Math.max(1, Math.floor(samples.length / 10)) === 0),
  samples.at(-1)!,
];
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

const dir = await mkdtemp(join(tmpdir(), 'llmr-soak-'));
try {
  const modelPath = await writeBigramGguf(join(dir, 'soak-bigram-f16.gguf'));
  const server = startServer(modelPath);
  const url = await server.ready;
  // Start and end samples both follow a full collection, so they compare.
  const startSample = await server.collected();
  const started = performance.now();
  const deadline = Date.now() + SECONDS * 1000;
  const results = await Promise.all(
    Array.from({ length: CLIENTS }, (_, index) => client(url, index, deadline)),
  );
  const seconds = (performance.now() - started) / 1000;
  // Let the server settle before the end sample: requests done, and the clients' idle
  // keep-alive sockets closed by the server's 5 s keep-alive timeout (else they count as
  // open handles).
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const end = await server.collected();
  await server.stop();
  const during = server.samples.filter(
    (sample) => sample.at >= startSample.at && sample.at <= end.at,
  );
  const tokens = results.reduce((sum, result) => sum + result.tokens, 0);
  const requests = results.reduce((sum, result) => sum + result.requests, 0);
  const errors = results.flatMap((result) => result.errors);
  const soak = {
    clients: CLIENTS,
    seconds: round(seconds),
    requests,
    errors: errors.length,
    tokensPerSecond: round(tokens / seconds),
    rssStartMb: mb(startSample.rssBytes),
    rssPeakMb: mb(Math.max(...during.map((sample) => sample.rssBytes))),
    rssEndMb: mb(end.rssBytes),
    heapUsedStartMb: mb(startSample.heapUsedBytes),
    heapUsedEndAfterGcMb: mb(end.heapUsedBytes),
    rssOverTimeMb: everyTenth(during).map((sample) => mb(sample.rssBytes)),
    heapUsedOverTimeMb: everyTenth(during).map((sample) => mb(sample.heapUsedBytes)),
    eventLoopP99Ms: round(end.eventLoopRunP99Ms),
    eventLoopWorstSecondP99Ms: round(Math.max(...during.map((sample) => sample.eventLoopP99Ms))),
    activeHandlesStart: startSample.activeHandles,
    activeHandlesEnd: end.activeHandles,
  };
  const directRun = await direct(modelPath);
  console.log(
    `GGUF soak: ${CLIENTS} streaming clients for ${soak.seconds} s, max_tokens ${MAX_TOKENS}`,
  );
  console.table([
    {
      runner: 'server (HTTP + SSE, own process)',
      'tokens/s': soak.tokensPerSecond,
      requests: soak.requests,
      errors: soak.errors,
      'RSS start/peak/end MB': `${soak.rssStartMb} / ${soak.rssPeakMb} / ${soak.rssEndMb}`,
      'heap start/end MB (after GC)': `${soak.heapUsedStartMb} / ${soak.heapUsedEndAfterGcMb}`,
      'event loop p99 ms': soak.eventLoopP99Ms,
      'handles start/end': `${soak.activeHandlesStart} / ${soak.activeHandlesEnd}`,
    },
    {
      runner: `direct doStream x${CLIENTS} (${DIRECT_SECONDS} s)`,
      'tokens/s': round(directRun.tokensPerSecond),
      requests: '',
      errors: '',
      'RSS start/peak/end MB': '',
      'heap start/end MB (after GC)': '',
      'event loop p99 ms': '',
      'handles start/end': '',
    },
  ]);
  console.log(`RSS over time (MB): ${soak.rssOverTimeMb.join(' ')}`);
  console.log(`V8 heap used over time (MB): ${soak.heapUsedOverTimeMb.join(' ')}`);
  if (errors.length) console.log(`first errors: ${errors.slice(0, 3).join(' | ')}`);
  console.log(
    JSON.stringify({
      bench: 'gguf-soak',
      ...soak,
      directTokensPerSecond: round(directRun.tokensPerSecond),
      serverOverDirect: round(soak.tokensPerSecond / directRun.tokensPerSecond, 3),
    }),
  );
  if (errors.length > 0) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
