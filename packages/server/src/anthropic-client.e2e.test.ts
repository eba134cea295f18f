/**
 * End to end against a running server (a real socket on 127.0.0.1) with the official
 * `@anthropic-ai/sdk` client: messages.create, streaming events, count_tokens, tool use,
 * and the error shape, for models llmr routes to.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolCallModel } from './__fixtures__/tool-call-model';
import { createRouterBackend, createServer, type LlmrServer } from './index';

let server: LlmrServer;
let url: string;
let client: Anthropic;

beforeAll(async () => {
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [
      { id: 'echo', source: 'mock:echo' },
      { id: 'writer', source: 'mock:random?seed=9' },
      { id: 'broken', source: 'mock:random?failAfterTokens=0' },
      { id: 'tools', model: createToolCallModel() },
    ],
    routes: { main: { fallback: ['broken', 'echo'] } },
    aliases: { claude: 'main' },
    retry: { maxRetries: 0 },
  });
  server = await createServer({
    backend: createRouterBackend(router, { defaultModel: 'echo' }),
    logger: false,
    apiKeys: ['sk-test'],
  });
  url = await server.listen({ port: 0 });
  client = new Anthropic({ baseURL: url, apiKey: 'sk-test', maxRetries: 0 });
});
afterAll(() => server?.shutdown());

describe('the official @anthropic-ai/sdk client against llmr', () => {
  it('messages.create with a system prompt, through an alias and a fallback', async () => {
    const { data: message, response } = await client.messages
      .create({
        model: 'claude',
        max_tokens: 100,
        system: 'be brief',
        messages: [{ role: 'user', content: 'Hello, llmr' }],
      })
      .withResponse();
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'echo',
      content: [{ type: 'text', text: 'Hello, llmr' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage.output_tokens).toBe(11);
    expect(message.usage.input_tokens).toBeGreaterThan(11);
    expect(response.headers.get('x-llmr-model')).toBe('echo');
    expect(response.headers.get('x-llmr-attempts')).toBe('2');
  });

  it('streams the event sequence, and the SDK assembles the same message', async () => {
    const stream = client.messages.stream({
      model: 'writer',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'x' }],
    });
    const types: string[] = [];
    let text = '';
    stream.on('streamEvent', (event) => types.push(event.type));
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.filter((type) => type === 'content_block_delta').length).toBeGreaterThan(1);
    expect(final.content).toHaveLength(1);
    expect((final.content[0] as { text: string }).text).toBe(text);
    expect(final.stop_reason).toBe('max_tokens');
    expect(final.usage.output_tokens).toBe(20);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    // On the wire: named events, a ping after message_start (the SDK hides pings).
    const raw = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test' },
      body: JSON.stringify({
        model: 'echo',
        max_tokens: 50,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await raw.text())
      .split('\n\n')
      .filter(Boolean)
      .map((block) => block.split('\n')[0]);
    expect([...new Set(events)]).toEqual([
      'event: message_start',
      'event: ping',
      'event: content_block_start',
      'event: content_block_delta',
      'event: content_block_stop',
      'event: message_delta',
      'event: message_stop',
    ]);
  });

  it('stops at a stop sequence, streamed and not', async () => {
    const free = await client.messages.create({
      model: 'writer',
      max_tokens: 40,
      temperature: 0,
      messages: [{ role: 'user', content: 'y' }],
    });
    const words = (free.content[0] as { text: string }).text.split(' ');
    const stopAt = ` ${words[2]} `;
    const stopped = await client.messages.create({
      model: 'writer',
      max_tokens: 40,
      temperature: 0,
      stop_sequences: [stopAt],
      messages: [{ role: 'user', content: 'y' }],
    });
    const stoppedText = (stopped.content[0] as { text: string }).text;
    expect(stoppedText).not.toContain(stopAt);
    expect((free.content[0] as { text: string }).text.startsWith(stoppedText)).toBe(true);
    expect(stopped).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: stopAt });
    const streamed = await client.messages
      .stream({
        model: 'writer',
        max_tokens: 40,
        temperature: 0,
        stop_sequences: [stopAt],
        messages: [{ role: 'user', content: 'y' }],
      })
      .finalMessage();
    expect(streamed).toMatchObject({
      content: [{ type: 'text', text: stoppedText }],
      stop_reason: 'stop_sequence',
      stop_sequence: stopAt,
    });
  });

  it('counts tokens', async () => {
    const counted = await client.messages.countTokens({
      model: 'echo',
      system: 'be brief',
      messages: [{ role: 'user', content: 'Hello, llmr' }],
    });
    const created = await client.messages.create({
      model: 'echo',
      max_tokens: 5,
      system: 'be brief',
      messages: [{ role: 'user', content: 'Hello, llmr' }],
    });
    // The echo model is loaded by now: its tokenizer counts exactly what a request uses.
    expect(counted.input_tokens).toBe(created.usage.input_tokens);
  });

  it('tool use: tool_use blocks (streamed as input_json_delta), then a tool_result turn', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'get_weather',
        description: 'The weather in a city now',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ];
    const first = await client.messages.create({
      model: 'tools',
      max_tokens: 100,
      tools,
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Paris' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_test_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    const stream = client.messages.stream({
      model: 'tools',
      max_tokens: 100,
      tools,
      messages: [{ role: 'user', content: 'Paris' }],
    });
    const jsonDeltas: string[] = [];
    stream.on('inputJson', (partial) => jsonDeltas.push(partial));
    const streamed = await stream.finalMessage();
    expect(jsonDeltas.length).toBe(2);
    expect(streamed.content).toEqual(first.content);
    const answer = await client.messages.create({
      model: 'tools',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'Paris' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'call_test_1', content: '18C, sunny' }],
        },
      ],
    });
    expect(answer.content).toEqual([{ type: 'text', text: 'The answer is 18C, sunny.' }]);
    expect(answer.stop_reason).toBe('end_turn');
  });

  it("answers Anthropic's error shape: validation, unknown model, auth", async () => {
    const invalid = await client.messages
      .create({ model: 'echo', messages: [{ role: 'user', content: 'x' }] } as never)
      .catch((error) => error);
    expect(invalid).toBeInstanceOf(Anthropic.BadRequestError);
    expect(invalid.error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/max_tokens/) },
    });
    const unknown = await client.messages
      .create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((error) => error);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect(unknown.error.error.type).toBe('not_found_error');
    expect(unknown.error.error.message).toMatch(/nope/);
    const unauthorized = await new Anthropic({
      baseURL: url,
      apiKey: 'wrong',
      maxRetries: 0,
    }).messages
      .create({ model: 'echo', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((error) => error);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(unauthorized.error.error.type).toBe('authentication_error');
    const raw = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test' },
      body: JSON.stringify({
        model: 'echo',
        max_tokens: 5,
        messages: [{ role: 'robot', content: 'x' }],
      }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/messages\.0\.role/) },
    });
  });
});
