/**
 * The plugin in a real Fastify server on 127.0.0.1, called over HTTP. The inference routes
 * here are test doubles of the server's OpenAI routes (same response and SSE shapes, no
 * model behind them), so the gateway's part can be seen on its own.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../gateway';
import { gatewayPlugin } from './gateway-plugin';

let app: FastifyInstance;
let gateway: Gateway;
let base: string;
let adminKey: string;
let parsedBodies = 0;
const streamStarted: Array<() => void> = [];

async function call(
  path: string,
  options: { key?: string; body?: unknown; method?: string; raw?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined || options.raw !== undefined)
    headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method:
      options.method ?? (options.body !== undefined || options.raw !== undefined ? 'POST' : 'GET'),
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON each endpoint answers.
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

async function createKey(body: Record<string, unknown>): Promise<string> {
  const response = await call('/api/admin/keys', { key: adminKey, body });
  expect(response.status).toBe(201);
  return response.json.key as string;
}

/** Usage is written when the response closes; wait for it rather than for a fixed time. */
async function usageOf(keyId: string, requests: number) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const rows = await gateway.usage.query({ keyId });
    const total = rows.reduce((sum, row) => sum + row.requests, 0);
    if (total >= requests) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`usage for ${keyId} never reached ${requests} requests`);
}

beforeAll(async () => {
  gateway = await createGateway({
    database: 'pglite:memory',
    prices: { 'model-*': { inputPerMillion: 1, outputPerMillion: 2 } },
  });
  await gateway.tenants.create({ name: 'ops' }, { via: 'test' });
  adminKey = (await gateway.keys.create({ tenant: 'ops', scopes: ['admin'] }, { via: 'test' })).key;

  app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
  await app.register(gatewayPlugin, { gateway });
  app.addHook('preParsing', async () => {
    parsedBodies += 1;
  });
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/metrics', async () => 'llmr_requests_total 1\n');
  app.post(
    '/v1/chat/completions',
    {
      schema: {
        body: {
          type: 'object',
          required: ['model', 'messages'],
          properties: {
            model: { type: 'string' },
            messages: { type: 'array' },
            stream: { type: 'boolean' },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { model: string; stream?: boolean };
      if (!body.stream) {
        return {
          id: 'chatcmpl-1',
          object: 'chat.completion',
          model: body.model,
          choices: [
            { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
        };
      }
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      streamStarted.shift()?.();
      for (let index = 0; index < 1000 && !reply.raw.destroyed; index++) {
        reply.raw.write(
          `data: ${JSON.stringify({ model: body.model, choices: [{ index: 0, delta: { content: `t${index}` } }] })}\n\n`,
        );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      reply.raw.end();
    },
  );
  base = await app.listen({ port: 0, host: '127.0.0.1' });
}, 300_000);

afterAll(async () => {
  await app?.close();
  await gateway?.close();
});

describe('gateway plugin', () => {
  it('refuses an unauthenticated caller before the body is parsed or validated', async () => {
    const before = parsedBodies;
    const large = JSON.stringify({
      model: 'model-a',
      messages: [],
      padding: 'x'.repeat(4 * 1024 * 1024),
    });
    const missing = await call('/v1/chat/completions', { raw: large });
    expect(missing.status).toBe(401);
    expect(missing.json.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
    expect(missing.json.error.message).toMatch(/Missing API key/);
    // An invalid body with a wrong key: 401 about the key, nothing about the body.
    const wrong = await call('/v1/chat/completions', {
      key: 'llmr-sk-000000000000-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      raw: '{"nope":',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toMatch(/JSON|messages|body/i);
    expect(parsedBodies).toBe(before);
    // Unknown routes too: no probing the route table without a key.
    expect((await call('/v1/secret-route')).status).toBe(401);
  });

  it('keeps health public and checks each scope', async () => {
    expect((await call('/health')).status).toBe(200);
    const inference = await createKey({ tenant: 'ops', scopes: ['inference'] });
    const metrics = await createKey({ tenant: 'ops', scopes: ['metrics'] });
    expect((await call('/metrics', { key: metrics })).status).toBe(200);
    const denied = await call('/metrics', { key: inference });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toMatchObject({
      type: 'permission_error',
      code: 'gateway-scope-denied',
    });
    expect(
      (
        await call('/v1/chat/completions', {
          key: metrics,
          body: { model: 'model-a', messages: [] },
        })
      ).status,
    ).toBe(403);
    expect((await call('/api/admin/keys', { key: inference })).status).toBe(403);
    expect((await call('/api/admin/keys', { key: adminKey })).status).toBe(200);
  });

  it('charges a completed request from its usage and audits it', async () => {
    const key = await createKey({ tenant: 'ops', name: 'charged' });
    const keyId = key.split('-')[2] as string;
    const response = await call('/v1/chat/completions', {
      key,
      body: { model: 'model-a', messages: [{ role: 'user', content: 'secret prompt' }] },
    });
    expect(response.status).toBe(200);
    const [usage] = await usageOf(keyId, 1);
    expect(usage).toMatchObject({
      model: 'model-a',
      requests: 1,
      inputTokens: 12,
      outputTokens: 5,
      costUsd: 0.000022,
    });
    const audit = await call(`/api/admin/audit?tenant=ops&limit=10000`, { key: adminKey });
    const record = audit.json.data.find(
      (entry: { keyId: string; action: string }) =>
        entry.keyId === keyId && entry.action === 'request',
    );
    expect(record).toMatchObject({
      route: '/v1/chat/completions',
      model: 'model-a',
      status: 200,
      clientIp: '127.0.0.1',
      content: null,
    });
    expect(JSON.stringify(audit.json)).not.toContain('secret prompt');
  });

  it('charges the tokens an aborted stream received', async () => {
    const key = await createKey({ tenant: 'ops', name: 'stream' });
    const keyId = key.split('-')[2] as string;
    const controller = new AbortController();
    const started = new Promise<void>((resolve) => streamStarted.push(resolve));
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'model-a', messages: [], stream: true }),
      signal: controller.signal,
    });
    await started;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = '';
    while ((received.match(/data: /g) ?? []).length < 5)
      received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const [usage] = await usageOf(keyId, 1);
    expect(usage?.outputTokens).toBeGreaterThanOrEqual(5);
    expect(usage?.outputTokens).toBeLessThan(1000);
    const records = await gateway.audit.list({ limit: 100_000 });
    const record = records.find((entry) => entry.keyId === keyId && entry.action === 'request');
    expect(record).toMatchObject({
      status: 499,
      details: expect.objectContaining({ aborted: true }),
    });
  });

  it('answers limits with 429 and Retry-After, budgets with 402, models with 403, in the OpenAI shape', async () => {
    const limited = await createKey({ tenant: 'ops', policy: { requestsPerMinute: 1 } });
    const body = { model: 'model-a', messages: [] };
    expect((await call('/v1/chat/completions', { key: limited, body })).status).toBe(200);
    const refused = await call('/v1/chat/completions', { key: limited, body });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.json.error).toMatchObject({ type: 'requests', code: 'gateway-rate-limited' });

    const budgeted = await createKey({
      tenant: 'ops',
      policy: { budgets: [{ metric: 'tokens', period: 'day', limit: 17 }] },
    });
    expect((await call('/v1/chat/completions', { key: budgeted, body })).status).toBe(200);
    await usageOf(budgeted.split('-')[2] as string, 1);
    const broke = await call('/v1/chat/completions', { key: budgeted, body });
    expect(broke.status).toBe(402);
    expect(broke.json.error.message).toMatch(
      /tokens-per-day budget of 17 tokens is spent.*resets at/,
    );

    const narrow = await createKey({ tenant: 'ops', policy: { models: ['model-b*'] } });
    const wrongModel = await call('/v1/chat/completions', { key: narrow, body });
    expect(wrongModel.status).toBe(403);
    expect(wrongModel.json.error.code).toBe('gateway-model-denied');
  });

  it('serves the admin API: tenants, keys shown once, revoke, usage, audit verify and export', async () => {
    const tenant = await call('/api/admin/tenants', {
      key: adminKey,
      body: { name: 'research', policy: { maxParallel: 4 } },
    });
    expect(tenant.status).toBe(201);
    const bad = await call('/api/admin/tenants', {
      key: adminKey,
      body: { name: 'x', policy: { maxParallel: -1 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/policy\.maxParallel/);
    const created = await call('/api/admin/keys', {
      key: adminKey,
      body: { tenant: 'research', scopes: ['inference'], name: 'bot' },
    });
    expect(created.json.key).toMatch(/^llmr-sk-/);
    const listed = await call('/api/admin/keys?tenant=research', { key: adminKey });
    expect(listed.json.data).toHaveLength(1);
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key);
    expect(
      (
        await call('/v1/chat/completions', {
          key: created.json.key,
          body: { model: 'model-a', messages: [] },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(`/api/admin/keys/${created.json.id}`, { key: adminKey, method: 'DELETE' }))
        .status,
    ).toBe(200);
    const revoked = await call('/v1/chat/completions', {
      key: created.json.key,
      body: { model: 'model-a', messages: [] },
    });
    expect(revoked.status).toBe(401);
    expect(revoked.json.error.message).toMatch(/revoked/);

    await usageOf(created.json.id, 1);
    const usage = await call(
      `/api/admin/usage?tenant=research&from=${new Date(Date.now() - 60_000).toISOString()}`,
      { key: adminKey },
    );
    expect(usage.json.data).toEqual([
      expect.objectContaining({ keyId: created.json.id, requests: 1, inputTokens: 12 }),
    ]);
    expect((await call('/api/admin/usage?from=yesterday', { key: adminKey })).status).toBe(400);
    expect(
      (await call('/api/admin/usage?tenant=research&to=0', { key: adminKey })).json.data,
    ).toEqual([]);

    const verify = await call('/api/admin/audit/verify', { key: adminKey });
    expect(verify.json).toMatchObject({ ok: true, problems: [] });
    const exported = await call('/api/admin/audit/export', { key: adminKey });
    expect(exported.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; keyId: string });
    expect(lines.at(-1)?.action).toBe('admin.key.revoke');
    expect(lines.filter((line) => line.action === 'admin.key.create').length).toBeGreaterThan(3);
  });
});
