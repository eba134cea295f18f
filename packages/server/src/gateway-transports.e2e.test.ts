/**
 * The gateway over WebSocket and GraphQL, on real sockets: each message (not only the
 * upgrade or the POST) is model-checked, rate-limited, budget-checked and charged through
 * the same admission REST uses; a refusal answers that message alone and the socket stays
 * usable; a generation cut short is charged its prompt and the text it got.
 */
import { createGateway, type Gateway, type Policy } from '@llmr/gateway';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestRouter } from './__fixtures__/test-router';
import { type Message, openSocket } from './__fixtures__/test-server';
import { createRouterBackend, createServer, type LlmrServer } from './index';

let gateway: Gateway;
let url: string;
let wsUrl: string;
let server: LlmrServer;
const idOf = (key: string) => key.split('-')[2] as string;
const user = (content: string) => [{ role: 'user', content }];

async function newKey(policy: Policy = {}): Promise<string> {
  return (await gateway.keys.create({ tenant: 'team', policy })).key;
}

async function usageOf(key: string, requests: number, model?: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const rows = await gateway.usage.query({ keyId: idOf(key), ...(model ? { model } : {}) });
    if (rows.reduce((sum, row) => sum + row.requests, 0) >= requests) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`usage of ${idOf(key)} never reached ${requests} requests`);
}

/** Prompt tokens of `content` as a finished REST request reports them. */
async function promptTokens(key: string, model: string, content: string): Promise<number> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, messages: user(content), max_tokens: 1 }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
}

async function graphql(key: string, model: string, prompt: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      query:
        'mutation G($input: GenerateInput!) { generate(input: $input) { text usage { inputTokens outputTokens } } }',
      variables: { input: { model, prompt } },
    }),
  });
  return { status: response.status, body: (await response.json()) as Message };
}

beforeAll(async () => {
  gateway = await createGateway({
    database: 'pglite:memory',
    prices: { echo: { inputPerMillion: 1, outputPerMillion: 1 } },
  });
  await gateway.tenants.create({ name: 'team', policy: { models: ['echo', 'slow', 'main'] } });
  server = await createServer({
    backend: createRouterBackend(createTestRouter(), { defaultModel: 'echo' }),
    logger: false,
    gateway,
  });
  url = await server.listen({ port: 0, host: '127.0.0.1' });
  wsUrl = url.replace(/^http/, 'ws');
}, 300_000);
afterAll(async () => {
  await server?.shutdown();
  await gateway?.close();
});

describe('the gateway over WebSocket', () => {
  it('refuses a message for a model the key may not use, keeps the socket, and charges the next', async () => {
    const key = await newKey({ models: ['echo'] });
    const socket = await openSocket(`${wsUrl}/v1/ws`, { authorization: `Bearer ${key}` });
    try {
      socket.send({
        type: 'chat.completions',
        id: 'denied',
        body: { model: 'slow', messages: user('x') },
      });
      const [refusal] = await socket.finished('denied');
      expect(refusal).toMatchObject({
        type: 'error',
        status: 403,
        error: { code: 'gateway-model-denied', type: 'permission_error' },
      });
      expect(refusal?.error.message).toMatch(
        /Model "slow" is not allowed for this key; allowed: echo/,
      );

      socket.send({
        type: 'chat.completions',
        id: 'ok',
        body: { model: 'echo', messages: user('hello') },
      });
      const done = (await socket.finished('ok')).at(-1);
      expect(done).toMatchObject({ type: 'done', usage: { completion_tokens: 5 } });
      const [usage] = await usageOf(key, 1);
      expect(usage).toMatchObject({
        model: 'echo',
        requests: 1,
        inputTokens: done?.usage.prompt_tokens,
        outputTokens: done?.usage.completion_tokens,
      });
      const records = (await gateway.audit.list({ limit: 10_000 })).filter(
        (record) => record.keyId === idOf(key),
      );
      expect(records.map((record) => [record.route, record.model, record.status])).toEqual([
        ['ws.chat', 'slow', 403],
        ['ws.chat', 'echo', 200],
      ]);
    } finally {
      await socket.close();
    }
  });

  it("refuses each message past the key's requests per minute, exactly at the limit", async () => {
    const key = await newKey({ requestsPerMinute: 2 });
    const socket = await openSocket(`${wsUrl}/v1/ws?api_key=${key}`);
    try {
      for (const id of ['1', '2', '3', '4']) {
        socket.send({ type: 'completions', id, body: { model: 'echo', prompt: 'hi' } });
        await socket.finished(id);
      }
      const last = (id: string) => socket.messages.filter((message) => message.id === id).at(-1);
      expect(last('1')?.type).toBe('done');
      expect(last('2')?.type).toBe('done');
      for (const id of ['3', '4']) {
        expect(last(id)).toMatchObject({
          type: 'error',
          status: 429,
          error: { code: 'gateway-rate-limited' },
        });
        expect(last(id)?.error.message).toMatch(/limit of 2 requests per minute is reached/);
        expect(last(id)?.retry_after).toBeGreaterThan(0);
      }
      expect(socket.socket.readyState).toBe(WebSocket.OPEN);
      expect((await usageOf(key, 2))[0]?.requests).toBe(2);
    } finally {
      await socket.close();
    }
  });

  it('refuses a message once a hard budget is spent (402)', async () => {
    const key = await newKey({ budgets: [{ metric: 'tokens', period: 'day', limit: 1 }] });
    const socket = await openSocket(`${wsUrl}/v1/ws`, { 'x-api-key': key });
    try {
      socket.send({ type: 'completions', id: 'a', body: { model: 'echo', prompt: 'hi' } });
      expect((await socket.finished('a')).at(-1)?.type).toBe('done');
      await usageOf(key, 1);
      socket.send({ type: 'completions', id: 'b', body: { model: 'echo', prompt: 'hi' } });
      expect((await socket.finished('b')).at(-1)).toMatchObject({
        type: 'error',
        status: 402,
        error: { code: 'gateway-budget-exceeded' },
      });
    } finally {
      await socket.close();
    }
  });

  it('charges a socket closed mid-stream its prompt and the chunks it got', async () => {
    const key = await newKey();
    const expectedPrompt = await promptTokens(key, 'slow', 'a prompt that is charged');
    const socket = await openSocket(`${wsUrl}/v1/ws`, { authorization: `Bearer ${key}` });
    socket.send({
      type: 'chat.completions',
      id: 'cut',
      body: { model: 'slow', messages: user('a prompt that is charged'), max_tokens: 500 },
    });
    const withText = () =>
      socket.messages.filter((message) => message.chunk?.choices?.[0]?.delta?.content).length;
    await socket.until(() => withText() >= 5);
    await socket.close();
    const received = withText();
    const rows = await usageOf(key, 2, 'slow');
    const total = rows.reduce(
      (sum, row) => ({
        inputTokens: sum.inputTokens + row.inputTokens,
        outputTokens: sum.outputTokens + row.outputTokens,
      }),
      { inputTokens: 0, outputTokens: 0 },
    );
    expect(expectedPrompt).toBeGreaterThan(0);
    // The finished request's prompt, then the cut one's: the same prompt, charged twice.
    expect(total.inputTokens).toBe(2 * expectedPrompt);
    expect(total.outputTokens).toBeGreaterThanOrEqual(1 + received);
    expect(total.outputTokens).toBeLessThan(1 + 500);
  });
});

describe('the gateway over GraphQL', () => {
  it('charges a mutation its usage and refuses a model the key may not use', async () => {
    const key = await newKey({ models: ['echo'] });
    const { status, body } = await graphql(key, 'echo', 'graph');
    expect(status).toBe(200);
    expect(body.data.generate.text).toBe('graph');
    const [usage] = await usageOf(key, 1);
    expect(usage).toMatchObject({
      model: 'echo',
      requests: 1,
      inputTokens: body.data.generate.usage.inputTokens,
      outputTokens: body.data.generate.usage.outputTokens,
    });
    const denied = await graphql(key, 'slow', 'x');
    expect(denied.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/Model "slow" is not allowed for this key/),
      extensions: { status: 403 },
    });
  });

  it('charges a subscription over graphql-ws, the key taken from the upgrade', async () => {
    const key = await newKey();
    const client = createClient({
      url: `${wsUrl}/graphql?api_key=${key}`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
    });
    let text = '';
    try {
      for await (const result of client.iterate({
        query: 'subscription S($input: GenerateInput!) { generateStream(input: $input) { delta } }',
        variables: { input: { model: 'echo', prompt: 'streamed' } },
      })) {
        text += (result.data?.generateStream as { delta?: string } | undefined)?.delta ?? '';
      }
    } finally {
      await client.dispose();
    }
    expect(text).toBe('streamed');
    const [usage] = await usageOf(key, 1);
    expect(usage).toMatchObject({ model: 'echo', requests: 1, outputTokens: 8 });
    expect(usage?.inputTokens).toBeGreaterThan(0);
  });
});
