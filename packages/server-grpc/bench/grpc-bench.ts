/**
 * The cost of the gRPC layer: the same short chat (an instant mock model) through
 * `router.generate` in-process (no transport), REST (`POST /v1/chat/completions`, fetch
 * with keep-alive), gRPC unary `Chat` and gRPC `ChatStream`, each for a few seconds with 16
 * requests in flight, in one run. Prints a table and one JSON line.
 *
 *   pnpm --filter @llmr/server-grpc bench      (LLMR_BENCH_SECONDS, default 3)
 */
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer } from '@llmr/server';
import { createGrpcServer } from '../src/create-grpc-server';
import { LLMR_PROTO_FILES, PROTO_LOADER_OPTIONS, protoRoot } from '../src/proto-files';

const SECONDS = Number(process.env.LLMR_BENCH_SECONDS ?? 3);
const CONCURRENCY = 16;
const messages = [{ role: 'user', content: 'hi' }];

async function measure(name: string, once: () => Promise<unknown>) {
  const samples: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await once();
        samples.push(performance.now() - started);
      }
    }),
  );
  samples.sort((a, b) => a - b);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return {
    name,
    requestsPerSecond: Math.round(samples.length / SECONDS),
    p50Ms: Number(at(0.5).toFixed(2)),
    p99Ms: Number(at(0.99).toFixed(2)),
  };
}

const router = createRouter({
  loaders: [createMockLoader()],
  models: [{ id: 'echo', source: 'mock:echo' }],
});
const backend = createRouterBackend(router, { defaultModel: 'echo' });
await backend.preload();
const rest = await createServer({ backend, logger: false, apiKeys: [] });
const url = await rest.listen({ port: 0 });
const grpc = createGrpcServer(rest.shared);
const port = await grpc.listen({ port: 0 });
const root = loadPackageDefinition(
  loadSync([...LLMR_PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] }),
) as unknown as { llmr: { v1: { GenerationService: ServiceClientConstructor } } };
type Callback = (error: Error | null, response: unknown) => void;
const client = new root.llmr.v1.GenerationService(
  `127.0.0.1:${port}`,
  credentials.createInsecure(),
) as unknown as {
  Chat(request: object, callback: Callback): void;
  ChatStream(request: object): NodeJS.EventEmitter;
  close(): void;
};

const results = [
  await measure('in-process router.generate', () =>
    router.generate({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
  ),
  await measure('REST POST /v1/chat/completions', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages }),
    });
    await response.json();
  }),
  await measure(
    'gRPC Chat (unary)',
    () =>
      new Promise((resolve, reject) =>
        client.Chat({ model: 'echo', messages }, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      ),
  ),
  await measure(
    'gRPC ChatStream',
    () =>
      new Promise((resolve, reject) => {
        const call = client.ChatStream({ model: 'echo', messages });
        call.on('data', () => {});
        call.on('end', resolve);
        call.on('error', reject);
      }),
  ),
];

client.close();
await Promise.all([grpc.shutdown(1000), rest.shutdown()]);

console.log(`${CONCURRENCY} in flight, ${SECONDS} s each, mock:echo answering "hi"`);
console.log('| path | req/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |');
for (const result of results)
  console.log(
    `| ${result.name} | ${result.requestsPerSecond} | ${result.p50Ms} | ${result.p99Ms} |`,
  );
console.log(
  JSON.stringify({ bench: 'server-grpc', concurrency: CONCURRENCY, seconds: SECONDS, results }),
);
