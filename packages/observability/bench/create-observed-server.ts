/**
 * The servers the observability benches compare, each with one instant scripted model:
 * - `plain`: no observability, the baseline;
 * - `off`: every tracing hook in place (models wrapped, router events, the request plugin),
 *   tracing off unless `setupTracing` turned it on;
 * - `on` / `requests`: the same hooks, for a process where tracing is on (the span tree, or
 *   one span per request, is chosen by `setupTracing`);
 * - `full`: everything the CLI wires (GenAI metrics, SLOs, an experiment, feedback).
 */
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import {
  createGenAiMetrics,
  observabilityPlugin,
  observeServer,
  traceLoader,
  traceRouterEvents,
} from '../src/index';

export type Setup = 'plain' | 'off' | 'on' | 'requests' | 'full';

export async function createObservedServer(setup: Setup): Promise<LlmrServer> {
  const genAiMetrics = setup === 'full' ? createGenAiMetrics() : undefined;
  const loader = createMockLoader();
  const router = createRouter({
    loaders: [
      setup === 'plain'
        ? loader
        : traceLoader(loader, genAiMetrics ? { metrics: genAiMetrics } : {}),
    ],
    models: [{ id: 'instant', source: 'mock:script?reply=ok' }],
    retry: { maxRetries: 0 },
  });
  const backend = createRouterBackend(router, { defaultModel: 'instant' });
  const server = await createServer({ backend, logger: false, apiKeys: [] });
  if (setup === 'off' || setup === 'on' || setup === 'requests') {
    traceRouterEvents(router);
    await server.app.register(observabilityPlugin, { router, routes: false });
  }
  if (setup === 'full') {
    await observeServer({
      server,
      router,
      ...(genAiMetrics ? { genAiMetrics } : {}),
      experiments: [
        {
          id: 'bench',
          variants: [{ name: 'a' }, { name: 'b', parameters: { temperature: 0.5 } }],
        },
      ],
    });
  }
  await backend.preload();
  await server.app.ready();
  return server;
}
