import { describe, expect, it } from 'vitest';
import {
  comparable,
  type Message,
  openSocket,
  sseEvents,
  startServer,
  upgradeStatus,
} from '../__fixtures__/test-server';

const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'echo',
  messages: [{ role: 'user', content }],
  ...extra,
});

const textOf = (messages: Message[]) =>
  messages
    .filter((message) => message.type === 'chunk')
    .map((message) => message.chunk.choices[0]?.delta?.content ?? message.chunk.choices[0]?.text)
    .filter(Boolean)
    .join('');

describe('WebSocket streaming at /v1/ws', () => {
  it('sends the very chunks SSE sends, then done with usage and routing', async () => {
    const { url, wsUrl } = await startServer();
    const body = {
      model: 'fast',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 20,
      seed: 3,
      stream_options: { include_usage: true },
    };
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true }),
    });
    const sse = sseEvents(await response.text());

    const client = await openSocket(`${wsUrl}/v1/ws`);
    client.send({ type: 'chat.completions', id: 'a', body });
    const messages = await client.finished('a');
    const chunks = messages.filter((message) => message.type === 'chunk');
    expect(chunks.map((message) => comparable(message.chunk))).toEqual(sse.map(comparable));
    expect(chunks[0]!.chunk.object).toBe('chat.completion.chunk');
    expect(textOf(messages).length).toBeGreaterThan(0);
    const done = messages.at(-1)!;
    expect(done).toMatchObject({
      id: 'a',
      type: 'done',
      usage: { completion_tokens: 20 },
      routing: { model: 'writer', attempts: 1 },
    });
    // Completions too, with echo.
    client.send({
      type: 'completions',
      id: 'b',
      body: { model: 'echo', prompt: 'abc', echo: true },
    });
    const completion = await client.finished('b');
    expect(completion[0]!.chunk.object).toBe('text_completion');
    expect(textOf(completion)).toBe('abcabc');
    await client.close();
  });

  it('runs two requests at once on one socket, each under its own id', async () => {
    const { server, url, wsUrl } = await startServer();
    const rest = async (seed: number) =>
      (
        await (
          await fetch(`${url}/v1/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'slow', prompt: 'x', max_tokens: 8, seed }),
          })
        ).json()
      ).choices[0].text;
    const [expectedOne, expectedTwo] = await Promise.all([rest(1), rest(2)]);
    expect(expectedOne).not.toBe(expectedTwo);

    const client = await openSocket(`${wsUrl}/v1/ws`);
    client.send({
      type: 'completions',
      id: 'one',
      body: { model: 'slow', prompt: 'x', max_tokens: 8, seed: 1 },
    });
    client.send({
      type: 'completions',
      id: 'two',
      body: { model: 'slow', prompt: 'x', max_tokens: 8, seed: 2 },
    });
    await expect.poll(() => server.inFlight().length).toBe(2);
    const [one, two] = await Promise.all([client.finished('one'), client.finished('two')]);
    expect(textOf(one)).toBe(expectedOne);
    expect(textOf(two)).toBe(expectedTwo);
    // They really overlapped: the ids alternate in what came over the socket.
    const order = client.messages.map((message) => message.id);
    expect(order.lastIndexOf('one')).toBeGreaterThan(order.indexOf('two'));
    expect(server.inFlight()).toHaveLength(0);
  });

  it('cancels one request and keeps the socket and the other request going', async () => {
    const { server, wsUrl } = await startServer();
    const client = await openSocket(`${wsUrl}/v1/ws`);
    client.send({
      type: 'chat.completions',
      id: 'long',
      body: { ...chat('x'), model: 'slow', max_tokens: 1000 },
    });
    client.send({
      type: 'chat.completions',
      id: 'short',
      body: { ...chat('x'), model: 'slow', max_tokens: 10 },
    });
    await client.until(
      (message) => message.id === 'long' && message.chunk?.choices[0]?.delta?.content,
    );
    client.send({ type: 'cancel', id: 'long' });
    const cancelled = await client.finished('long');
    expect(cancelled.at(-1)).toMatchObject({
      type: 'error',
      status: 499,
      error: { code: 'aborted', message: expect.stringMatching(/cancelled request "long"/) },
    });
    expect(cancelled.filter((message) => message.type === 'chunk').length).toBeLessThan(50);
    const short = await client.finished('short');
    expect(short.at(-1)).toMatchObject({ type: 'done', usage: { completion_tokens: 10 } });
    await expect.poll(() => server.inFlight().length).toBe(0);
    // Cancelling what already finished is a no-op; the socket still serves.
    client.send({ type: 'cancel', id: 'short' });
    client.send({ type: 'chat.completions', id: 'after', body: chat('still here') });
    expect(textOf(await client.finished('after'))).toBe('still here');
  });

  it('aborts generation when the socket closes', async () => {
    const { server, url, wsUrl } = await startServer();
    const client = await openSocket(`${wsUrl}/v1/ws`);
    client.send({
      type: 'chat.completions',
      id: 'a',
      body: { ...chat('x'), model: 'slow', max_tokens: 1000 },
    });
    client.send({
      type: 'completions',
      id: 'b',
      body: { model: 'slow', prompt: 'x', max_tokens: 1000 },
    });
    await client.until((message) => message.id === 'b' && message.type === 'chunk');
    expect(server.inFlight().map((entry) => entry.transport)).toEqual(['websocket', 'websocket']);
    await client.close();
    await expect.poll(() => server.inFlight().length, { timeout: 2000 }).toBe(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      'llmr_http_requests_total{route="ws.chat",model="slow",status="499"} 1',
    );
    expect(metrics).toContain('llmr_in_flight_requests 0');
  });

  it('answers malformed messages with errors and never closes the socket', async () => {
    const { wsUrl } = await startServer();
    const client = await openSocket(`${wsUrl}/v1/ws`);
    client.send({
      type: 'chat.completions',
      id: 'running',
      body: { ...chat('x'), model: 'slow', max_tokens: 15 },
    });

    client.send('{"type": "chat.completions", "id": ');
    expect(await client.until((message) => message.error?.code === 'invalid_json')).toMatchObject({
      id: null,
      type: 'error',
      status: 400,
    });
    client.send('[1, 2]');
    await client.until((message) => message.error?.code === 'invalid_message');
    client.send({ type: 'chat.completions', body: chat('x') });
    expect(await client.until((message) => message.error?.code === 'invalid_id')).toMatchObject({
      id: null,
      error: { param: 'id' },
    });

    const cases: [string, unknown, number, RegExp][] = [
      [
        'unknown-type',
        { type: 'embeddings', body: chat('x') },
        400,
        /Unknown message type "embeddings"/,
      ],
      ['no-body', { type: 'chat.completions' }, 400, /Invalid value for 'body'/],
      [
        'missing',
        { type: 'chat.completions', body: { model: 'echo' } },
        400,
        /Missing required parameter: 'messages'/,
      ],
      [
        'extra',
        { type: 'chat.completions', body: chat('x', { frobnicate: 1 }) },
        400,
        /Unrecognized request argument supplied: frobnicate/,
      ],
      [
        'range',
        { type: 'chat.completions', body: chat('x', { temperature: 5 }) },
        400,
        /temperature/,
      ],
      ['wrong-type', { type: 'completions', body: { model: 'echo', prompt: 7 } }, 400, /prompt/],
      [
        'unknown-model',
        { type: 'chat.completions', body: { ...chat('x'), model: 'nope' } },
        404,
        /No model, route or alias is named "nope"/,
      ],
    ];
    for (const [id, message, status, pattern] of cases) {
      client.send({ ...(message as object), id });
      const reply = await client.until(
        (candidate) => candidate.id === id && candidate.type === 'error',
      );
      expect(reply.status, id).toBe(status);
      expect(reply.error.message, id).toMatch(pattern);
      expect(typeof reply.error.type, id).toBe('string');
    }
    // A second request under a running id is refused without a word to the running one.
    client.send({ type: 'chat.completions', id: 'running', body: chat('x') });
    expect(await client.until((message) => message.error?.code === 'duplicate_id')).toMatchObject({
      id: null,
      status: 400,
      error: { message: expect.stringMatching(/"running" is still running on this socket/) },
    });
    // The request that was running when all this arrived finished untouched.
    const running = await client.finished('running');
    expect(running.at(-1)).toMatchObject({ type: 'done', usage: { completion_tokens: 15 } });
    expect(running.filter((message) => message.type === 'error')).toEqual([]);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('reports a failure mid-stream as an error message for that id', async () => {
    const { wsUrl } = await startServer();
    const client = await openSocket(`${wsUrl}/v1/ws`);
    client.send({
      type: 'chat.completions',
      id: 'f',
      body: { ...chat('x'), model: 'flaky', max_tokens: 10, seed: 1 },
    });
    const messages = await client.finished('f');
    expect(messages.at(-1)).toMatchObject({
      type: 'error',
      error: { message: expect.stringMatching(/failed after 3 tokens/) },
    });
  });

  it('checks the API key at the upgrade (header or ?api_key=), and never logs it', async () => {
    const logs: string[] = [];
    const { url, wsUrl } = await startServer({
      apiKeys: ['ws-secret-key'],
      logger: { stream: { write: (line: string) => logs.push(line) } },
    });
    expect(await upgradeStatus(`${wsUrl}/v1/ws`)).toBe(401);
    expect(await upgradeStatus(`${wsUrl}/v1/ws`, { authorization: 'Bearer nope' })).toBe(401);
    expect(await upgradeStatus(`${wsUrl}/v1/ws?api_key=nope`)).toBe(401);
    expect(await upgradeStatus(`${wsUrl}/v1/ws`, { authorization: 'Bearer ws-secret-key' })).toBe(
      101,
    );
    const client = await openSocket(`${wsUrl}/v1/ws?api_key=ws-secret-key`);
    client.send({ type: 'chat.completions', id: 'a', body: chat('authorized') });
    expect(textOf(await client.finished('a'))).toBe('authorized');
    await client.close();
    // A plain GET is told to upgrade.
    const plain = await fetch(`${url}/v1/ws`, {
      headers: { authorization: 'Bearer ws-secret-key' },
    });
    expect(plain.status).toBe(426);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain('ws-secret-key');
  });

  it('refuses pages from other origins, like CORS does for REST', async () => {
    const { wsUrl } = await startServer();
    expect(await upgradeStatus(`${wsUrl}/v1/ws`, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(`${wsUrl}/v1/ws`, { origin: 'http://localhost:3000' })).toBe(101);
  });

  it('applies per-key rate limits to each request, and counts them in the metrics', async () => {
    const { url, wsUrl } = await startServer({ apiKeys: ['k'], limits: { requestsPerMinute: 2 } });
    const client = await openSocket(`${wsUrl}/v1/ws`, { authorization: 'Bearer k' });
    for (const id of ['1', '2']) {
      client.send({ type: 'chat.completions', id, body: chat('hi') });
      expect((await client.finished(id)).at(-1)!.type).toBe('done');
    }
    client.send({ type: 'chat.completions', id: '3', body: chat('hi') });
    const limited = (await client.finished('3')).at(-1)!;
    expect(limited).toMatchObject({
      type: 'error',
      status: 429,
      error: { code: 'rate_limit_exceeded' },
    });
    expect(limited.retry_after).toBeGreaterThan(0);
    const metrics = await (
      await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer k' } })
    ).text();
    expect(metrics).toContain(
      'llmr_http_requests_total{route="ws.chat",model="echo",status="200"} 2',
    );
    expect(metrics).toMatch(/llmr_time_to_first_token_seconds_count\{model="echo"\} 2/);
  });
});
