/**
 * A router whose `chain` route falls back from a model that always fails (`broken`) to one
 * that answers (`good`), both wrapped by `traceModel`: one request through it shows a
 * failed and a successful attempt.
 */
import { createMockModel } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import type { GenAiMetrics } from '../metrics/gen-ai-metrics';
import { traceModel } from '../tracing/traced-model';

export function createFallbackRouter(options: { metrics?: GenAiMetrics } = {}) {
  return createRouter({
    models: [
      {
        id: 'broken',
        model: traceModel(createMockModel({ id: 'broken', failFirstCalls: 1_000 }), options),
      },
      {
        id: 'good',
        model: traceModel(
          createMockModel({ id: 'good', mode: 'script', replies: ['fine'] }),
          options,
        ),
      },
    ],
    routes: { chain: { fallback: ['broken', 'good'] } },
    retry: { maxRetries: 0 },
  });
}
