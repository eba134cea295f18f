/**
 * The llmr server in the four setups the bench compares, built in one process:
 * - `plain`: no observability, the baseline;
 * - `off`: every tracing hook in place (models wrapped, router events, the request
 *   plugin) and tracing off: what tracing costs when nobody turned it on;
 * - `on`: the same with tracing on (the bench turns it on only while `on` is measured);
 * - `full`: everything the CLI wires (GenAI metrics, SLOs, an experiment, feedback),
 *   tracing off: the cost of those features, which do work on every request.
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

export const SETUPS = ['plain', 'off', 'on', 'full'] as const;
export type Setup = (typeof SETUPS)[number];

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
  if (setup === 'off' || setup === 'on') {
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
