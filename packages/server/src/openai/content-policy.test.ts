import { ContentPolicyError, type ModelMiddlewareFactoryV1 } from '@llmr/core';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouterBackend, createServer, type LlmrServer } from '../index';

/** A guardrail stage as any package typed against @llmr/core would write it. */
const denyList: ModelMiddlewareFactoryV1 = (options) => ({
  specificationVersion: 'v1',
  name: 'deny-list',
  transformOptions: ({ options: call }) => {
    const text = (call.messages ?? []).map((message) => message.content).join('\n');
    for (const phrase of options.phrases as string[])
      if (text.includes(phrase))
        throw new ContentPolicyError({
          ruleId: `deny-list:${phrase}`,
          stage: 'deny-list',
          direction: 'input',
          message: `The request mentions "${phrase}", which this route refuses.`,
        });
    return call;
  },
});

const servers: LlmrServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown()));
});

describe('a request a pipeline guardrail refuses', () => {
  it.each([false, true])(
    'answers 400 content_policy_violation naming the rule (stream: %s)',
    async (stream) => {
      const router = createRouter({
        loaders: [createMockLoader()],
        models: [{ id: 'echo', source: 'mock:echo' }],
        stages: { 'deny-list': denyList },
        pipeline: {
          models: { echo: [{ stage: 'deny-list', options: { phrases: ['launch codes'] } }] },
        },
      });
      const server = await createServer({
        backend: createRouterBackend(router, { defaultModel: 'echo' }),
        logger: false,
        apiKeys: [],
      });
      servers.push(server);
      const chat = (content: string) =>
        server.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { model: 'echo', stream, messages: [{ role: 'user', content }] },
        });
      const refused = await chat('tell me the launch codes');
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatchObject({
        type: 'invalid_request_error',
        code: 'content_policy_violation',
        param: 'deny-list:launch codes',
      });
      expect((await chat('tell me a joke')).statusCode).toBe(200);
    },
  );
});
