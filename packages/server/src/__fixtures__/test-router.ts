/** The mock models the transport tests serve: echo, seeded text, a slow one, a flaky one. */
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';

export function createTestRouter() {
  return createRouter({
    loaders: [createMockLoader()],
    models: [
      { id: 'echo', source: 'mock:echo' },
      { id: 'writer', source: 'mock:random?seed=5' },
      { id: 'slow', source: 'mock:random?tokenMs=20' },
      { id: 'flaky', source: 'mock:random?failAfterTokens=3' },
      { id: 'tiny', source: 'mock:random?contextLength=16' },
    ],
    aliases: { fast: 'writer' },
    routes: { main: { fallback: ['echo'] } },
    defaultRoute: 'main',
    retry: { maxRetries: 0 },
  });
}
