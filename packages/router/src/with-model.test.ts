import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createRouter } from './router';

describe('router.withModel', () => {
  const createTwoModelRouter = () =>
    createRouter({
      models: [
        { id: 'a', model: createMockModel({ id: 'a' }) },
        { id: 'b', model: createMockModel({ id: 'b' }) },
      ],
      aliases: { first: 'a' },
      routes: { only: { models: ['b'] } },
    });

  it('lends the loaded model for an id, an alias, or a route with one model', async () => {
    const router = createTwoModelRouter();
    expect(await router.withModel('a', (model, id) => [model.info.id, id])).toEqual(['a', 'a']);
    expect(await router.withModel('first', (_model, id) => id)).toBe('a');
    expect(await router.withModel('only', (_model, id) => id)).toBe('b');
    const tokens = await router.withModel('a', (model) =>
      model.tokenizer?.encode('hi', { addSpecialTokens: false }),
    );
    expect(tokens).toEqual([104, 105]);
    expect(router.listModels().find((listing) => listing.id === 'a')?.loaded).toBe(true);
  });

  it('refuses a name that routes over several models, naming them', async () => {
    const router = createTwoModelRouter();
    await expect(router.withModel('auto', () => 1)).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringMatching(/"auto" routes over 2 models \(a, b\); name one of them/),
    });
    await expect(router.withModel('nope', () => 1)).rejects.toMatchObject({
      code: 'model-not-found',
    });
  });
});
