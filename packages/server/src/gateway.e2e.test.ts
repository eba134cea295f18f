/**
 * The server with a gateway, over a real socket, with the official `openai` client:
 * gateway keys authenticate before any body is read, scopes split inference from metrics
 * and admin, completions and streams are charged (an aborted stream its prompt and what it got),
 * and the admin API and audit log see it all.
 */
import { createGateway, type Gateway } from '@llmr/gateway';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestRouter } from './__fixtures__/test-router';
import { createRouterBackend, createServer, type LlmrServer } from './index';

let gateway: Gateway;
let url: string;
let server: LlmrServer;
let keys: { inference: string; metrics: string; admin: string; capped: string };
const idOf = (key: string) => key.split('-')[2] as string;

async function usageOf(keyId: string, requests: number) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const rows = await gateway.usage.query({ keyId });
    if (rows.reduce((sum, row) => sum + row.requests, 0) >= requests) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`usage for ${keyId} never reached ${requests} requests`);
}

beforeAll(async () => {
  gateway = await createGateway({
    database: 'pglite:memory',
    prices: { echo: { inputPerMillion: 1, outputPerMillion: 1 } },
  });
  await gateway.tenants.create({ name: 'team', policy: { models: ['echo', 'slow', 'main'] } });
  const key = async (options: Parameters<Gateway['keys']['create']>[0]) =>
    (await gateway.keys.create(options)).key;
  keys = {
    inference: await key({ tenant: 'team' }),
    metrics: await key({ tenant: 'team', scopes: ['metrics'] }),
    admin: await key({ tenant: 'team', scopes: ['admin'] }),
    capped: await key({
      tenant: 'team',
      policy: { budgets: [{ metric: 'tokens', period: 'day', limit: 1 }] },
    }),
  };
  const router = createTestRouter();
  server = await createServer({
    backend: createRouterBackend(router, { defaultModel: 'echo' }),
    logger: false,
    gateway,
  });
  url = await server.listen({ port: 0, host: '127.0.0.1' });
}, 300_000);
afterAll(async () => {
  await server?.shutdown();
  await gateway?.close();
});

describe('llmr server with a gateway', () => {
  it('refuses a 4 MiB body without a key, before parsing it', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"model":"echo","messages":[],"x":"${'x'.repeat(4 * 1024 * 1024 - 100)}`,
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'invalid_api_key' });
    expect(body.error.message).not.toMatch(/JSON|body/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('answers the openai client and charges its usage exactly', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: keys.inference, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(completion.choices[0]?.message.content).toBe('hello');
    const [usage] = await usageOf(idOf(keys.inference), 1);
    expect(usage).toMatchObject({
      model: 'echo',
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
    });
    const denied = client.chat.completions.create({
      model: 'writer',
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(denied).rejects.toMatchObject({ status: 403 });
  });

  it("charges a finished stream the model's own usage, prompt included, and audits the models tried", async () => {
    const streamer = (await gateway.keys.create({ tenant: 'team', name: 'streamer' })).key;
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: streamer, maxRetries: 0 });
    const plain = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'stream me' }],
    });
    const stream = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'stream me' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('stream me');
    const [usage] = await usageOf(idOf(streamer), 2);
    expect(usage).toMatchObject({
      requests: 2,
      inputTokens: 2 * (plain.usage?.prompt_tokens ?? 0),
      outputTokens: 2 * (plain.usage?.completion_tokens ?? 0),
    });
    expect(plain.usage?.prompt_tokens).toBeGreaterThan(0);
    const records = (await gateway.audit.list({ limit: 10_000 })).filter(
      (record) => record.keyId === idOf(streamer),
    );
    expect(records.map((record) => record.modelsTried)).toEqual([['echo'], ['echo']]);
  });

  it('charges an aborted stream its prompt and the chunks it received', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: keys.inference, maxRetries: 0 });
    // What the prompt costs, as a finished request on another model reports it.
    const finished = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'x' }],
    });
    const before = (await gateway.usage.query({ keyId: idOf(keys.inference), model: 'slow' }))
      .length;
    expect(before).toBe(0);
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'slow', messages: [{ role: 'user', content: 'x' }], stream: true, max_tokens: 500 },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) chunks += 1;
        if (chunks === 5) controller.abort();
      }
    } catch {
      // The client may end the iteration or throw on abort; either way it stopped reading.
    }
    expect(chunks).toBe(5);
    for (let attempt = 0; attempt < 200; attempt++) {
      if ((await gateway.usage.query({ keyId: idOf(keys.inference), model: 'slow' })).length > 0)
        break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [usage] = await gateway.usage.query({ keyId: idOf(keys.inference), model: 'slow' });
    expect(usage?.inputTokens).toBe(finished.usage?.prompt_tokens);
    expect(usage?.inputTokens).toBeGreaterThan(0);
    expect(usage?.outputTokens).toBeGreaterThanOrEqual(5);
    expect(usage?.outputTokens).toBeLessThan(500);
  });

  it('splits scopes: metrics, admin, and a WebSocket key in the query', async () => {
    expect(
      (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${keys.metrics}` } }))
        .status,
    ).toBe(200);
    expect(
      (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${keys.inference}` } }))
        .status,
    ).toBe(403);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: keys.metrics, maxRetries: 0 });
    await expect(client.models.list()).rejects.toMatchObject({ status: 403 });
    const audit = await fetch(`${url}/api/admin/audit/verify`, {
      headers: { authorization: `Bearer ${keys.admin}` },
    });
    expect(await audit.json()).toMatchObject({ ok: true });
    const wsUrl = url.replace(/^http/, 'ws');
    const refused = new WebSocket(`${wsUrl}/v1/ws`);
    const refusal = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (_request, response) =>
        resolve(response.statusCode ?? 0),
      ),
    );
    expect(refusal).toBe(401);
    const accepted = new WebSocket(`${wsUrl}/v1/ws?api_key=${keys.inference}`);
    await new Promise((resolve, reject) => {
      accepted.once('open', resolve);
      accepted.once('error', reject);
    });
    accepted.close();
  });

  it('refuses once a hard budget is spent, with 402', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: keys.capped, maxRetries: 0 });
    await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'a' }],
    });
    await usageOf(idOf(keys.capped), 1);
    const refused = client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'a' }],
    });
    await expect(refused).rejects.toMatchObject({ status: 402 });
    await expect(refused).rejects.toThrow(/tokens-per-day budget of 1 tokens is spent/);
  });
});
