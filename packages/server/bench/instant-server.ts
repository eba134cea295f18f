/** The server under load, in its own process: an instant scripted model behind the router. */
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer } from '../src/index';

const router = createRouter({
  loaders: [createMockLoader()],
  models: [{ id: 'instant', source: 'mock:script?reply=ok' }],
  retry: { maxRetries: 0 },
});
const backend = createRouterBackend(router, { defaultModel: 'instant' });
// LLMR_REDIS_URL (read by createServer) shares the limits; LLMR_BENCH_RPM turns them on
// (high enough never to refuse) so their cost is in the measurement.
const rpm = Number(process.env.LLMR_BENCH_RPM ?? 0);
const server = await createServer({
  backend,
  logger: false,
  apiKeys: [],
  ...(rpm > 0 ? { limits: { requestsPerMinute: rpm, tokensPerMinute: rpm * 1000 } } : {}),
});
await backend.preload();
const url = await server.listen({ port: 0 });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void server.shutdown().then(() => process.exit(0)));
