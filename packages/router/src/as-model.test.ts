import { testModel } from '@llmr/core/test';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createTestModel } from './__fixtures__/test-models';
import { createRouter } from './router';

// The router, seen as one ModelV1, passes the same conformance kit as any model: its
// fallbacks, retries and stream forwarding keep every ModelV1 promise.
testModel({
  name: 'router.asModel (fallback route over a failing and a working mock)',
  createModel: async () =>
    createRouter({
      models: [
        { id: 'down', model: createTestModel({ id: 'down', failFirstCalls: 1_000_000 }) },
        { id: 'up', model: createMockModel({ id: 'up', seed: 3 }) },
      ],
      routes: { chat: { fallback: ['down', 'up'] } },
      retry: { maxRetries: 0 },
      circuitBreaker: false,
    }).asModel('chat'),
});

describe('router.asModel', () => {
  it('describes the union of its candidates and puts routing in the metadata', async () => {
    const router = createRouter({
      models: [
        {
          id: 'a',
          model: createMockModel({ contextLength: 100 }),
          capabilities: ['chat', 'tools'],
        },
        {
          id: 'b',
          model: createMockModel({ contextLength: 8000, mode: 'script', replies: ['b'] }),
        },
      ],
    });
    const model = router.asModel();
    expect(model.info).toMatchObject({ id: 'auto', format: 'llmr-router', contextLength: 8000 });
    expect(model.info.capabilities).toEqual(
      expect.arrayContaining(['chat', 'tools', 'completion', 'embeddings']),
    );
    const result = await router.asModel('b').doGenerate({ prompt: 'x' });
    expect(result.metadata?.routing).toMatchObject({ modelId: 'b', strategy: 'pinned' });
    await model.dispose();
    await expect(model.doGenerate({ prompt: 'x' })).rejects.toMatchObject({
      code: 'model-disposed',
    });
    expect((await router.generate({ model: 'b', prompt: 'x' })).text).toBe('b');
  });
});
