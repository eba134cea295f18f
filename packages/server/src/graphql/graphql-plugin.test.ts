import { createClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Message, startServer, upgradeStatus } from '../__fixtures__/test-server';

const GENERATE = /* GraphQL */ `
  mutation Generate($input: GenerateInput!) {
    generate(input: $input) {
      text
      finishReason
      usage { inputTokens outputTokens totalTokens }
      routing { model strategy attempts failures { model code } cached }
    }
  }
`;

const GENERATE_STREAM = /* GraphQL */ `
  subscription Stream($input: GenerateInput!) {
    generateStream(input: $input) {
      delta
      finishReason
      usage { inputTokens outputTokens totalTokens }
      routing { model attempts }
    }
  }
`;

async function graphql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Message }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() };
}

/** Runs a subscription with the graphql-ws client; every result, or the error it ended with. */
async function subscribe(
  endpoint: string,
  input: Record<string, unknown>,
  options: { connectionParams?: Record<string, unknown>; stopAfter?: number } = {},
) {
  const client = createClient({
    url: endpoint,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    ...(options.connectionParams ? { connectionParams: options.connectionParams } : {}),
  });
  const results: Message[] = [];
  let error: unknown;
  try {
    const iterator = client.iterate({ query: GENERATE_STREAM, variables: { input } });
    for await (const result of iterator) {
      results.push(result);
      if (options.stopAfter !== undefined && results.length >= options.stopAfter) break;
    }
  } catch (caught) {
    error = caught;
  } finally {
    await client.dispose();
  }
  return { results, error: error as Message[] | Message | undefined };
}

describe('GraphQL at /graphql', () => {
  it('lists models', async () => {
    const { url } = await startServer();
    const { status, body } = await graphql(
      url,
      '{ models { id loaded ownedBy source } model(id: "echo") { id loaded } missing: model(id: "nope") { id } }',
    );
    expect(status).toBe(200);
    const ids = body.data.models.map((model: { id: string }) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['echo', 'writer', 'fast', 'main']));
    expect(body.data.model).toEqual({ id: 'echo', loaded: true });
    expect(body.data.missing).toBeNull();
    const viaGet = await fetch(`${url}/graphql?query=${encodeURIComponent('{ models { id } }')}`);
    expect((await viaGet.json()).data.models.length).toBe(ids.length);
  });

  it('generates with routing info, the same text as REST for the same seed', async () => {
    const { url } = await startServer();
    const rest = await (
      await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'writer',
          messages: [{ role: 'user', content: 'x' }],
          max_tokens: 12,
          seed: 3,
        }),
      })
    ).json();
    const { status, body } = await graphql(url, GENERATE, {
      input: { model: 'fast', messages: [{ role: 'user', content: 'x' }], maxTokens: 12, seed: 3 },
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.generate).toEqual({
      text: rest.choices[0].message.content,
      finishReason: 'length',
      usage: {
        inputTokens: rest.usage.prompt_tokens,
        outputTokens: 12,
        totalTokens: rest.usage.prompt_tokens + 12,
      },
      routing: {
        model: 'writer',
        strategy: expect.any(String),
        attempts: 1,
        failures: [],
        cached: false,
      },
    });
    const completion = await graphql(url, GENERATE, { input: { model: 'echo', prompt: 'abc' } });
    expect(completion.body.data.generate.text).toBe('abc');
    expect(completion.body.data.generate.finishReason).toBe('stop');
  });

  it('says what to fix in invalid input', async () => {
    const { url } = await startServer();
    const ask = async (input: Record<string, unknown>) =>
      (await graphql(url, GENERATE, { input })).body;
    const hot = await ask({ model: 'echo', prompt: 'x', temperature: 150 });
    expect(hot.data).toBeNull();
    expect(hot.errors[0]).toMatchObject({
      message: 'temperature must be at most 100; got 150.',
      extensions: { code: 'BAD_USER_INPUT', status: 400, argument: 'input.temperature' },
    });
    const both = await ask({
      model: 'echo',
      prompt: 'x',
      messages: [{ role: 'user', content: 'y' }],
    });
    expect(both.errors[0].message).toMatch(/exactly one of `messages` \(chat\) or `prompt`/);
    const neither = await ask({ model: 'echo' });
    expect(neither.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const tool = await ask({ model: 'echo', messages: [{ role: 'tool', content: 'y' }] });
    expect(tool.errors[0].message).toMatch(/needs a toolCallId/);
    const unknownModel = await ask({ model: 'nope', prompt: 'x' });
    expect(unknownModel.errors[0]).toMatchObject({
      message: expect.stringMatching(/No model, route or alias is named "nope"/),
      extensions: { code: 'NOT_FOUND', status: 404, argument: 'input.model' },
    });
    // Wrong types never reach the resolver: GraphQL names the field and the type.
    const typed = await ask({ model: 'echo', prompt: 'x', temperature: 'hot' });
    expect(typed.errors[0].message).toMatch(/temperature.*Float cannot represent/);
    const role = await ask({ model: 'echo', messages: [{ role: 'wizard', content: 'y' }] });
    expect(role.errors[0].message).toMatch(/Value "wizard" does not exist in "Role" enum/);
  });

  it('streams a subscription over graphql-ws: deltas, then finish reason and usage', async () => {
    const { url, wsUrl } = await startServer();
    const input = { model: 'writer', prompt: 'x', maxTokens: 10, seed: 4 };
    const expected = (await graphql(url, GENERATE, { input })).body.data.generate;
    const { results, error } = await subscribe(`${wsUrl}/graphql`, input);
    expect(error).toBeUndefined();
    const events = results.map((result) => result.data.generateStream);
    expect(events.length).toBeGreaterThan(2);
    const last = events.at(-1);
    expect(last).toEqual({
      delta: '',
      finishReason: 'length',
      usage: expected.usage,
      routing: { model: 'writer', attempts: 1 },
    });
    for (const event of events.slice(0, -1)) {
      expect(event.finishReason).toBeNull();
      expect(event.delta.length).toBeGreaterThan(0);
    }
    expect(events.map((event) => event.delta).join('')).toBe(expected.text);
  });

  it('aborts generation when the subscriber stops, and reports bad input as errors', async () => {
    const { server, wsUrl } = await startServer();
    const stopped = await subscribe(
      `${wsUrl}/graphql`,
      { model: 'slow', prompt: 'x', maxTokens: 1000 },
      {
        stopAfter: 2,
      },
    );
    expect(stopped.error).toBeUndefined();
    expect(stopped.results).toHaveLength(2);
    await expect.poll(() => server.inFlight().length, { timeout: 2000 }).toBe(0);
    const invalid = await subscribe(`${wsUrl}/graphql`, { model: 'echo', prompt: 'x', topP: 0 });
    expect(invalid.results).toEqual([]);
    expect(invalid.error).toEqual([
      expect.objectContaining({
        message: 'topP must be greater than 0; got 0.',
        extensions: expect.objectContaining({ argument: 'input.topP', status: 400 }),
      }),
    ]);
  });

  it('requires the API key over HTTP, at the upgrade, or in connection_init', async () => {
    const { url, wsUrl } = await startServer({ apiKeys: ['gql-key'] });
    const anonymous = await graphql(url, '{ models { id } }');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('invalid_api_key');
    const keyed = await graphql(url, '{ models { id } }', {}, { authorization: 'Bearer gql-key' });
    expect(keyed.status).toBe(200);
    expect(keyed.body.data.models.length).toBeGreaterThan(0);

    expect(
      await upgradeStatus(`${wsUrl}/graphql?api_key=wrong`, {
        'sec-websocket-protocol': 'graphql-transport-ws',
      }),
    ).toBe(401);
    const input = { model: 'echo', prompt: 'hi' };
    const refused = await subscribe(`${wsUrl}/graphql`, input);
    expect((refused.error as Message[])[0]).toMatchObject({
      extensions: { code: 'UNAUTHENTICATED', status: 401 },
    });
    const byParams = await subscribe(`${wsUrl}/graphql`, input, {
      connectionParams: { authorization: 'Bearer gql-key' },
    });
    expect(byParams.error).toBeUndefined();
    expect(byParams.results.map((result) => result.data.generateStream.delta).join('')).toBe('hi');
    const byQuery = await subscribe(`${wsUrl}/graphql?api_key=gql-key`, input);
    expect(byQuery.error).toBeUndefined();
  });

  it('applies rate limits and counts requests in the metrics', async () => {
    const { url, wsUrl } = await startServer({ limits: { requestsPerMinute: 2 } });
    const input = { model: 'echo', prompt: 'x' };
    expect((await graphql(url, GENERATE, { input })).body.data.generate.text).toBe('x');
    expect((await subscribe(`${wsUrl}/graphql`, input)).error).toBeUndefined();
    const limited = (await graphql(url, GENERATE, { input })).body;
    expect(limited.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(limited.errors[0].extensions.retryAfter).toBeGreaterThan(0);
    // Reading models is not limited, as for REST.
    expect((await graphql(url, '{ models { id } }')).body.data.models.length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      'llmr_http_requests_total{route="graphql.generate",model="echo",status="200"} 1',
    );
    expect(metrics).toContain(
      'llmr_http_requests_total{route="graphql.generateStream",model="echo",status="200"} 1',
    );
  });

  it('coexists with /v1/ws and is described in OpenAPI, which hides /v1/ws', async () => {
    const { server, wsUrl } = await startServer();
    expect(await upgradeStatus(`${wsUrl}/v1/ws`)).toBe(101);
    const openapi = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(openapi.paths['/graphql'].post.tags).toEqual(['graphql']);
    expect(openapi.paths['/graphql'].get.tags).toEqual(['graphql']);
    expect(openapi.paths['/v1/ws']).toBeUndefined();
    expect(openapi.paths['/v1/chat/completions'].post.requestBody).toBeTruthy();
  });
});
