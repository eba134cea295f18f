import { createMockModel } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { describe, expect, it } from 'vitest';
import { createTestServer } from './__fixtures__/test-server';
import { createRouterBackend, createServer, type LlmrServer } from './index';

const start = createTestServer;

async function listen(server: LlmrServer) {
  return server.listen({ port: 0, host: '127.0.0.1' });
}

function sseEvents(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
    .map((data) => (data === '[DONE]' ? '[DONE]' : JSON.parse(data)));
}

describe('OpenAI-compatible chat completions', () => {
  it('answers in OpenAI shape with usage and routing headers', async () => {
    const server = await start();
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'echo', messages: [{ role: 'user', content: 'héllo' }] },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-llmr-model']).toBe('echo');
    expect(response.headers['x-request-id']).toBeTruthy();
    const body = response.json();
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'echo',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'héllo' }, finish_reason: 'stop' },
      ],
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.usage.completion_tokens).toBe(6);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 6);
  });

  it('resolves aliases and auto, and honours max_tokens, seed and stop', async () => {
    const server = await start();
    const ask = (payload: Record<string, unknown>) =>
      server.app
        .inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { messages: [{ role: 'user', content: 'x' }], ...payload },
        })
        .then((response) => response.json());
    const a = await ask({ model: 'fast', max_tokens: 12, seed: 3 });
    const b = await ask({ model: 'writer', max_tokens: 12, seed: 3 });
    expect(a.model).toBe('writer');
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.usage.completion_tokens).toBe(12);
    expect(a.choices[0].finish_reason).toBe('length');
    const auto = await ask({ model: 'auto', max_tokens: 1 });
    expect(auto.model).toBe('echo');
    const text: string = (await ask({ model: 'writer', max_tokens: 30, seed: 3 })).choices[0]
      .message.content;
    const stop = text.slice(10, 12);
    const stopped = await ask({ model: 'writer', max_tokens: 30, seed: 3, stop });
    expect(stopped.choices[0].message.content).toBe(text.slice(0, text.indexOf(stop)));
  });

  it('streams SSE chunks ending with [DONE] and usage when asked', async () => {
    const server = await start();
    const url = await listen(server);
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'echo',
        messages: [{ role: 'user', content: 'stream me' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-llmr-model')).toBe('echo');
    const events = sseEvents(await response.text()) as Record<string, any>[];
    expect(events.at(-1)).toBe('[DONE]');
    expect(events[0]!.choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = events
      .filter((event) => (event as unknown) !== '[DONE]' && event.choices?.[0]?.delta?.content)
      .map((event) => event.choices[0].delta.content)
      .join('');
    expect(text).toBe('stream me');
    const finish = events.find((event) => event.choices?.[0]?.finish_reason);
    expect(finish!.choices[0].finish_reason).toBe('stop');
    const usage = events.at(-2)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(9);
  });

  it('reports a failure mid-stream as an error event, without duplicating text', async () => {
    const server = await start();
    const url = await listen(server);
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'flaky',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
        seed: 1,
        max_tokens: 10,
      }),
    });
    const events = sseEvents(await response.text()) as Record<string, any>[];
    const error = events.find((event) => (event as unknown) !== '[DONE]' && event.error);
    expect(error!.error.message).toMatch(/failed after 3 tokens/);
    const text = events
      .filter((event) => (event as unknown) !== '[DONE]' && event.choices?.[0]?.delta?.content)
      .map((event) => event.choices[0].delta.content)
      .join('');
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(3);
  });

  it('aborts the generation when the client disconnects mid-stream', async () => {
    const server = await start();
    const url = await listen(server);
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'slow',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
        max_tokens: 1000,
      }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    expect(server.inFlight()).toHaveLength(1);
    controller.abort();
    await expect.poll(() => server.inFlight().length, { timeout: 2000 }).toBe(0);
    // The server is fine and serves the next request.
    const next = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'ok' }] }),
    });
    expect((await next.json()).choices[0].message.content).toBe('ok');
  });
});

describe('bad input answers 4xx in OpenAI shape', () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['malformed JSON', '{"model": "echo", "messages": [', 400, /could not parse the JSON body/],
    ['missing messages', { model: 'echo' }, 400, /Missing required parameter: 'messages'/],
    [
      'wrong type',
      { model: 'echo', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' },
      400,
      /temperature/,
    ],
    [
      'out of range',
      { model: 'echo', messages: [{ role: 'user', content: 'x' }], temperature: 5 },
      400,
      /temperature/,
    ],
    [
      'unknown parameter',
      { model: 'echo', messages: [{ role: 'user', content: 'x' }], frobnicate: 1 },
      400,
      /Unrecognized request argument supplied: frobnicate/,
    ],
    [
      'unknown role',
      { model: 'echo', messages: [{ role: 'wizard', content: 'x' }] },
      400,
      /messages\.0\.role/,
    ],
    ['n > 1', { model: 'echo', messages: [{ role: 'user', content: 'x' }], n: 2 }, 400, /'n'/],
    [
      'unknown model',
      { model: 'nope', messages: [{ role: 'user', content: 'x' }] },
      404,
      /No model, route or alias is named "nope"/,
    ],
    [
      'prompt longer than the context',
      { model: 'tiny', messages: [{ role: 'user', content: 'far too long for sixteen tokens' }] },
      400,
      /context of 16/,
    ],
  ];
  it.each(cases)('%s', async (_name, payload, status, message) => {
    const server = await start();
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    expect(response.statusCode).toBe(status);
    const body = response.json();
    expect(body.error.message).toMatch(message);
    expect(typeof body.error.type).toBe('string');
  });

  it('refuses bodies over the limit', async () => {
    const server = await start({ bodyLimit: 1024 });
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'echo', messages: [{ role: 'user', content: 'x'.repeat(4096) }] },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.message).toMatch(/too large/);
  });

  it('answers unknown routes with 404 JSON', async () => {
    const server = await start();
    const response = await server.app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('unknown_route');
  });
});

describe('completions, embeddings, models', () => {
  it('serves /v1/completions with OpenAI defaults and echo', async () => {
    const server = await start();
    const body = (
      await server.app.inject({
        method: 'POST',
        url: '/v1/completions',
        payload: { model: 'writer', prompt: 'Once', seed: 1 },
      })
    ).json();
    expect(body.object).toBe('text_completion');
    expect(body.usage.completion_tokens).toBe(16);
    const echoed = (
      await server.app.inject({
        method: 'POST',
        url: '/v1/completions',
        payload: { model: 'echo', prompt: 'abc', echo: true },
      })
    ).json();
    expect(echoed.choices[0].text).toBe('abcabc');
  });

  it('serves /v1/embeddings, as floats or base64, with dimensions', async () => {
    const server = await start();
    const body = (
      await server.app.inject({
        method: 'POST',
        url: '/v1/embeddings',
        payload: { model: 'echo', input: ['a', 'b'], dimensions: 4 },
      })
    ).json();
    expect(body.data).toHaveLength(2);
    expect(body.data[0].embedding).toHaveLength(4);
    expect(Math.hypot(...body.data[0].embedding)).toBeCloseTo(1, 6);
    const base64 = (
      await server.app.inject({
        method: 'POST',
        url: '/v1/embeddings',
        payload: { model: 'echo', input: 'a', encoding_format: 'base64' },
      })
    ).json();
    expect(Buffer.from(base64.data[0].embedding, 'base64').length).toBe(16 * 4);
  });

  it('lists models and manages them through the native API', async () => {
    const server = await start();
    const list = (await server.app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(list.data.map((model: { id: string }) => model.id)).toContain('writer');
    const before = (await server.app.inject({ method: 'GET', url: '/api/models/writer' })).json();
    expect(before.loaded).toBe(false);
    expect(
      (
        await server.app.inject({
          method: 'POST',
          url: '/api/models/writer/load',
          headers: { 'x-llmr-request': '1' },
        })
      ).json().loaded,
    ).toBe(true);
    expect(
      (
        await server.app.inject({
          method: 'POST',
          url: '/api/models/writer/unload',
          headers: { 'x-llmr-request': '1' },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await server.app.inject({ method: 'GET', url: '/api/models/writer' })).json().loaded,
    ).toBe(false);
    expect((await server.app.inject({ method: 'GET', url: '/api/inflight' })).json()).toEqual({
      requests: [],
    });
  });
});

describe('resident memory and backend in /api/models', () => {
  it('shows the figure the runtime reports and the backend that runs', async () => {
    // A mock model standing in for a runtime that reports what it holds (loader-gguf's
    // models report llama.cpp's buffers the same way).
    const reporting = async () => ({
      ...createMockModel({ id: 'local', mode: 'echo' }),
      info: { ...createMockModel({ id: 'local' }).info, backend: 'cpu' },
      resources: () => ({ total: 3_000_000, weights: 2_000_000, contexts: 1_000_000, gpu: 0 }),
    });
    const router = createRouter({ models: [{ id: 'local', model: reporting, memory: '1GB' }] });
    const server = await createServer({
      backend: createRouterBackend(router),
      logger: false,
      apiKeys: [],
    });
    try {
      const before = (await server.app.inject({ method: 'GET', url: '/api/models/local' })).json();
      expect(before.memory).toEqual({ bytes: 1e9, source: 'configured' });
      await server.app.inject({
        method: 'POST',
        url: '/api/models/local/load',
        headers: { 'x-llmr-request': '1' },
      });
      const { models } = (await server.app.inject({ method: 'GET', url: '/api/models' })).json();
      expect(models.find((model: { id: string }) => model.id === 'local')).toMatchObject({
        loaded: true,
        memory: { bytes: 3_000_000, source: 'runtime' },
        backend: 'cpu',
      });
    } finally {
      await server.shutdown();
    }
  });
});

describe('operations and security', () => {
  it('serves health, readiness, metrics and OpenAPI', async () => {
    const server = await start();
    await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'echo', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect((await server.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({
      status: 'ok',
    });
    expect((await server.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('llmr_http_requests_total{route="chat",model="echo",status="200"} 1');
    expect(metrics).toContain('llmr_time_to_first_token_seconds_bucket');
    expect(metrics).toContain('llmr_in_flight_requests 0');
    const openapi = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(openapi.openapi).toBe('3.1.0');
    expect(openapi.paths['/v1/chat/completions'].post.requestBody).toBeTruthy();
    expect((await server.app.inject({ method: 'GET', url: '/docs/' })).statusCode).toBe(200);
  });

  it('requires a valid API key when keys are configured, and never logs it', async () => {
    const logs: string[] = [];
    const stream = { write: (line: string) => logs.push(line) };
    const server = await start({
      apiKeys: ['secret-key-1', `sha256:${'0'.repeat(64)}`],
      logger: { stream },
    });
    const payload = { model: 'echo', messages: [{ role: 'user', content: 'x' }] };
    const none = await server.app.inject({ method: 'POST', url: '/v1/chat/completions', payload });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('invalid_api_key');
    const wrong = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload,
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload,
      headers: { authorization: 'Bearer secret-key-1' },
    });
    expect(right.statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain('secret-key-1');
  });

  it('limits requests and tokens per key with 429 and Retry-After', async () => {
    const server = await start({ apiKeys: ['k'], limits: { requestsPerMinute: 2 } });
    const send = () =>
      server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'echo', messages: [{ role: 'user', content: 'x' }] },
        headers: { authorization: 'Bearer k' },
      });
    expect((await send()).statusCode).toBe(200);
    expect((await send()).statusCode).toBe(200);
    const limited = await send();
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().error.code).toBe('rate_limit_exceeded');

    const tokenServer = await start({ limits: { tokensPerMinute: 20 } });
    const ask = () =>
      tokenServer.app.inject({
        method: 'POST',
        url: '/v1/completions',
        payload: { model: 'writer', prompt: 'x', max_tokens: 19, seed: 1 },
      });
    expect((await ask()).statusCode).toBe(200);
    const overTokens = await ask();
    expect(overTokens.statusCode).toBe(429);
    expect(overTokens.json().error.message).toMatch(/tokens per minute/);
  });

  it('allows CORS from localhost only by default and sets security headers', async () => {
    const server = await start();
    const local = await server.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'http://localhost:3000' },
    });
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    const remote = await server.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://evil.example' },
    });
    expect(remote.headers['access-control-allow-origin']).toBeUndefined();
    expect(local.headers['x-content-type-options']).toBe('nosniff');
  });

  it('shuts down gracefully: in-flight streams finish, new requests are refused', async () => {
    const server = await start({ shutdownDeadlineMs: 5000 });
    const url = await listen(server);
    const streaming = fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', prompt: 'x', max_tokens: 5, stream: true }),
    }).then((response) => response.text());
    await expect.poll(() => server.inFlight().length).toBe(1);
    const shutdown = server.shutdown();
    const events = sseEvents(await streaming) as unknown[];
    expect(events.at(-1)).toBe('[DONE]');
    await shutdown;
  });
});
