/**
 * End to end against a running server (a real socket on 127.0.0.1) with the official
 * `openai` npm client: chat, streaming, completions, embeddings, models, errors.
 */
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouterBackend, createServer, type LlmrServer } from './index';

let server: LlmrServer;
let client: OpenAI;

beforeAll(async () => {
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [
      { id: 'echo', source: 'mock:echo' },
      { id: 'writer', source: 'mock:random?seed=9' },
    ],
    routes: { main: { fallback: ['echo'] } },
    defaultRoute: 'main',
  });
  server = await createServer({
    backend: createRouterBackend(router, { defaultModel: 'echo' }),
    logger: false,
    apiKeys: ['sk-test'],
  });
  const url = await server.listen({ port: 0 });
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
});
afterAll(() => server?.shutdown());

describe('the official openai client against llmr', () => {
  it('chat.completions.create', async () => {
    const completion = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'Hello, llmr' }],
    });
    expect(completion.choices[0]!.message.content).toBe('Hello, llmr');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage!.completion_tokens).toBe(11);
  });

  it('streams with stream: true and include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'writer',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      max_tokens: 20,
      seed: 1,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    const whole = await client.chat.completions.create({
      model: 'writer',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 20,
      seed: 1,
    });
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe('length');
    expect(usage!.completion_tokens).toBe(20);
  });

  it('completions.create and embeddings.create', async () => {
    const completion = await client.completions.create({
      model: 'echo',
      prompt: 'abc',
      max_tokens: 5,
    });
    expect(completion.choices[0]!.text).toBe('abc');
    const embeddings = await client.embeddings.create({ model: 'echo', input: ['one', 'two'] });
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0]!.embedding.length).toBeGreaterThan(0);
    const base64 = await client.embeddings.create({ model: 'echo', input: 'one' });
    expect(base64.data[0]!.embedding).toEqual(embeddings.data[0]!.embedding);
  });

  it('models.list and models.retrieve', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['echo', 'writer', 'main']));
    expect((await client.models.retrieve('writer')).id).toBe('writer');
  });

  it('surfaces errors as the client expects them', async () => {
    const notFound = await client.chat.completions
      .create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((error) => error);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound.message).toMatch(/nope/);
    const bad = await client.chat.completions
      .create({ model: 'echo', messages: [{ role: 'user', content: 'x' }], temperature: 9 })
      .catch((error) => error);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    const unauthorised = await new OpenAI({
      baseURL: client.baseURL,
      apiKey: 'wrong',
      maxRetries: 0,
    }).models
      .list()
      .catch((error) => error);
    expect(unauthorised).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
