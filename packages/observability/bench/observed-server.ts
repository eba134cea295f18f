/**
 * The llmr server under load, in its own process, in one of three setups (argv[2]):
 * `plain` (no observability), `off` (the plugin with SLOs, experiments and feedback, no
 * tracing) or `on` (the same, tracing exported over OTLP/HTTP to argv[3]).
 */
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer } from '@llmr/server';
import {
  ExperimentManager,
  FeedbackRecorder,
  observabilityPlugin,
  SloMonitor,
  setupTracing,
  traceRouterEvents,
} from '../src/index';

const [mode = 'plain', endpoint] = process.argv.slice(2);
const tracing = mode === 'on' ? await setupTracing({ endpoint }) : undefined;
const router = createRouter({
  loaders: [createMockLoader()],
  models: [{ id: 'instant', source: 'mock:script?reply=ok' }],
  retry: { maxRetries: 0 },
});
if (mode !== 'plain') traceRouterEvents(router);
const backend = createRouterBackend(router, { defaultModel: 'instant' });
const server = await createServer({ backend, logger: false, apiKeys: [] });
if (mode !== 'plain') {
  await server.app.register(observabilityPlugin, {
    slo: new SloMonitor({
      slos: [{ name: 'availability', objective: { kind: 'availability', target: 0.999 } }],
    }),
    experiments: new ExperimentManager({
      experiments: [
        { id: 'bench', variants: [{ name: 'a' }, { name: 'b', parameters: { temperature: 0.5 } }] },
      ],
    }),
    feedback: new FeedbackRecorder(),
    ignoreRoutes: ['/__bench/cpu'],
  });
}
// CPU time of this process: under a shared, busy machine, CPU per request is a steadier
// measure of cost than requests per second.
server.app.get('/__bench/cpu', async () => process.cpuUsage());
await backend.preload();
const url = await server.listen({ port: 0 });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => {
  void server
    .shutdown()
    .then(() => tracing?.shutdown())
    .then(() => process.exit(0));
});
