import {
  ContentPolicyError,
  InvalidArgumentError,
  type ModelMiddlewareFactoryV1,
  type ModelMiddlewareV1,
} from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { createTestModel, readAll, textOf } from '../__fixtures__/test-models';
import { RouterConfigError } from '../errors';
import { createRouter } from '../router';

/** Appends a tag to the user's message, so the echo model shows which stages ran, in order. */
const tag: ModelMiddlewareFactoryV1 = (options) => {
  if (typeof options.text !== 'string')
    throw new InvalidArgumentError({
      argument: 'text',
      value: options.text,
      message: '`text` must be a string.',
    });
  const text = options.text;
  return {
    specificationVersion: 'v1',
    name: 'tag',
    transformOptions: ({ options: call }) =>
      call.messages
        ? {
            ...call,
            messages: call.messages.map((message) =>
              message.role === 'user'
                ? { ...message, content: `${message.content}${text}` }
                : message,
            ),
          }
        : call,
  };
};

const block: ModelMiddlewareFactoryV1 = (): ModelMiddlewareV1 => ({
  specificationVersion: 'v1',
  name: 'block',
  transformOptions: ({ options }) => {
    if (options.messages?.some((message) => message.content.includes('forbidden')))
      throw new ContentPolicyError({
        ruleId: 'deny-list:forbidden',
        stage: 'block',
        direction: 'input',
        message: 'The request contains a denied phrase.',
      });
    return options;
  },
});

function pipelineRouter() {
  const a = createTestModel({ mode: 'echo', id: 'a' });
  const b = createTestModel({ mode: 'echo', id: 'b' });
  const router = createRouter({
    models: [
      { id: 'a', model: a },
      { id: 'b', model: b },
    ],
    routes: { chat: { models: ['a', 'b'], strategy: 'fallback', fallback: ['a', 'b'] } },
    stages: { tag, block },
    pipeline: {
      routes: {
        chat: [{ stage: 'block' }, { stage: 'tag', options: { text: ' [route]' } }],
      },
      models: { a: [{ stage: 'tag', options: { text: ' [model a]' } }] },
    },
  });
  return { router, a, b };
}

const ask = (content: string) => [{ role: 'user' as const, content }];

describe('pipelines in the router', () => {
  it('runs the route stages, then the chosen model stages, for generate and stream', async () => {
    const { router } = pipelineRouter();
    expect((await router.generate({ model: 'chat', messages: ask('hi') })).text).toBe(
      'hi [route] [model a]',
    );
    const { stream } = await router.stream({ model: 'chat', messages: ask('hi') });
    expect(textOf(await readAll(stream))).toBe('hi [route] [model a]');
    // A model pinned directly runs only its own stages.
    expect((await router.generate({ model: 'b', messages: ask('hi') })).text).toBe('hi');
    expect((await router.generate({ model: 'a', messages: ask('hi') })).text).toBe('hi [model a]');
  });

  it('a refused request ends at once: no fallback, no circuit failure, the rule id kept', async () => {
    const { router, a, b } = pipelineRouter();
    const error = await router
      .generate({ model: 'chat', messages: ask('say forbidden things') })
      .catch((caught: unknown) => caught);
    expect(ContentPolicyError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'content-blocked', ruleId: 'deny-list:forbidden' });
    expect(a.calls + b.calls).toBe(0);
    expect(router.stats().models.a?.circuit).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
    });
  });

  it('config names stages from the registry; unknown names and refused options are config errors', async () => {
    const { router } = pipelineRouter();
    const config = router.config;
    const models = config.models.map(({ id, model }) => ({ id, model }));
    expect(() =>
      router.reload({ models, pipeline: { models: { a: [{ stage: 'rewrite' }] } } }),
    ).toThrow(/pipeline\.models\.a\[0\]\.stage.*unknown stage; registered stages: tag, block/s);
    const refused = (() => {
      try {
        router.reload({ models, pipeline: { models: { a: [{ stage: 'tag', options: {} }] } } });
      } catch (error) {
        return error;
      }
    })();
    expect(RouterConfigError.isInstance(refused)).toBe(true);
    expect((refused as RouterConfigError).issues[0]).toMatchObject({
      path: 'pipeline.models.a[0].options',
      message: expect.stringContaining('`text` must be a string'),
    });
    expect(() =>
      router.reload({ models, pipeline: { routes: { nowhere: [{ stage: 'tag' }] } } }),
    ).toThrow(/unknown route "nowhere"/);
    // Nothing of the refused configs was put in force.
    expect((await router.generate({ model: 'chat', messages: ask('hi') })).text).toBe(
      'hi [route] [model a]',
    );
    expect(() => createRouter({ models, pipeline: { models: { a: [{ stage: 'tag' }] } } })).toThrow(
      /no stages are registered/,
    );
  });
});
