import {
  AbortError,
  APICallError,
  collectStream,
  LlmrError,
  ModelDisposedError,
  type ModelV1StreamPart,
  ParseError,
  TimeoutError,
} from '@llmr/core';
import { testModel } from '@llmr/core/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnthropicUpstreamDouble,
  startAnthropicUpstreamDouble,
} from './__fixtures__/anthropic-upstream-double';
import { anthropic, createAnthropic } from './anthropic-provider';

let upstream: AnthropicUpstreamDouble;
const provider = () => createAnthropic({ baseURL: upstream.baseURL, apiKey: 'test-key' });

beforeAll(async () => {
  upstream = await startAnthropicUpstreamDouble();
});
afterAll(async () => {
  await upstream?.close();
});

// The conformance kit through a real HTTP server. Greedy: the Messages API has no seed,
// so determinism can only be asked of temperature 0.
testModel({
  name: 'anthropic messages',
  createModel: async () => provider()('conformance'),
  temperature: 0,
  timeout: 20_000,
});

async function parts(stream: ReadableStream<ModelV1StreamPart>): Promise<ModelV1StreamPart[]> {
  const all: ModelV1StreamPart[] = [];
  const reader = stream.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) return all;
    all.push(value);
  }
}

const textOf = (all: ModelV1StreamPart[]) =>
  all.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('');

describe('Anthropic messages model', () => {
  it('sends system apart, chats, streams the same text and usage', async () => {
    const model = provider()('echo');
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: 'héllo 👋 wörld' },
    ];
    const generated = await model.doGenerate({ messages, maxTokens: 50 });
    expect(generated).toMatchObject({
      text: 'héllo 👋 wörld',
      finishReason: 'stop',
      metadata: { model: 'echo' },
    });
    const sent = upstream.requests.at(-1)!;
    expect(sent.body).toEqual({
      model: 'echo',
      max_tokens: 50,
      system: 'be brief',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'héllo 👋 wörld' }] }],
    });
    expect(sent.headers['x-api-key']).toBe('test-key');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    const streamed = await parts((await model.doStream({ messages, maxTokens: 50 })).stream);
    expect(textOf(streamed)).toBe(generated.text);
    expect(upstream.requests.at(-1)!.body.stream).toBe(true);
    expect(streamed.map((part) => part.type).slice(-2)).toEqual(['usage', 'finish']);
    expect(streamed.find((part) => part.type === 'usage')).toEqual({
      type: 'usage',
      usage: generated.usage,
    });
  });

  it('maps stop sequences, max_tokens and sampling, and reports which stop sequence hit', async () => {
    const model = provider()('random');
    const free = await model.doGenerate({ prompt: 'x', maxTokens: 80, temperature: 0 });
    expect(free.finishReason).toBe('length');
    const word = free.text.split(' ')[2]!;
    const stopped = await model.doGenerate({
      prompt: 'x',
      maxTokens: 80,
      temperature: 0,
      topP: 0.9,
      topK: 40,
      stopSequences: [` ${word} `],
    });
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      temperature: 0,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: [` ${word} `],
    });
    expect(free.text.startsWith(stopped.text)).toBe(true);
    expect(stopped.text).not.toContain(` ${word} `);
    expect(stopped).toMatchObject({
      finishReason: 'stop',
      metadata: { stopSequence: ` ${word} ` },
    });
    const streamed = await parts(
      (
        await model.doStream({
          prompt: 'x',
          maxTokens: 80,
          temperature: 0,
          stopSequences: [` ${word} `],
        })
      ).stream,
    );
    expect(textOf(streamed)).toBe(stopped.text);
    expect(streamed.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: 'stop',
      metadata: { stopSequence: ` ${word} ` },
    });
  });

  it('streams tool_use blocks as tool-call deltas and calls, and sends tool results back', async () => {
    const model = provider()('tools');
    const tools = [
      {
        type: 'function' as const,
        name: 'get_weather',
        description: 'Weather now',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ];
    const messages = [{ role: 'user' as const, content: 'weather in Paris?' }];
    const streamed = await parts(
      (
        await model.doStream({
          messages,
          tools,
          maxTokens: 3,
          toolChoice: { type: 'tool', toolName: 'get_weather' },
        })
      ).stream,
    );
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      tools: [
        {
          name: 'get_weather',
          description: 'Weather now',
          input_schema: tools[0]!.parameters,
        },
      ],
      tool_choice: { type: 'tool', name: 'get_weather' },
    });
    const deltas = streamed.filter((part) => part.type === 'tool-call-delta');
    expect(deltas.map((part) => (part as { argumentsDelta: string }).argumentsDelta).join('')).toBe(
      '{"city":"Paris","unit":"celsius"}',
    );
    const call = {
      id: 'toolu_double_1',
      toolName: 'get_weather',
      arguments: '{"city":"Paris","unit":"celsius"}',
    };
    expect(streamed.find((part) => part.type === 'tool-call')).toEqual({
      type: 'tool-call',
      toolCall: call,
    });
    expect(streamed.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool-calls' });
    const generated = await model.doGenerate({ messages, tools, maxTokens: 3 });
    expect(generated).toMatchObject({ toolCalls: [call], finishReason: 'tool-calls' });
    await model.doGenerate({
      maxTokens: 3,
      messages: [
        ...messages,
        { role: 'assistant', content: 'Checking.', toolCalls: [call] },
        { role: 'tool', toolCallId: 'toolu_double_1', content: '18C' },
        { role: 'user', content: 'and tomorrow?' },
      ],
    });
    expect(upstream.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          {
            type: 'tool_use',
            id: 'toolu_double_1',
            name: 'get_weather',
            input: { city: 'Paris', unit: 'celsius' },
          },
        ],
      },
      // The tool result and the next user text share one user turn: roles must alternate.
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_double_1', content: '18C' },
          { type: 'text', text: 'and tomorrow?' },
        ],
      },
    ]);
  });

  it('refuses tool-call arguments that are not JSON before sending anything', async () => {
    const before = upstream.requests.length;
    const error = await provider()('echo')
      .doGenerate({
        messages: [
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 't', toolName: 'f', arguments: '{x' }],
          },
        ],
      })
      .catch((caught) => caught);
    expect(error).toMatchObject({ code: 'invalid-argument' });
    expect(error.message).toMatch(/tool call "f" are not JSON/);
    expect(upstream.requests.length).toBe(before);
  });
});

describe('upstream failures', () => {
  it('maps 529 overloaded to a retryable APICallError with retryAfterMs from retry-after', async () => {
    const error = await provider()('fault-529')
      .doGenerate({ prompt: 'x' })
      .catch((caught) => caught);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 529, isRetryable: true, retryAfterMs: 1000 });
    expect(error.message).toMatch(/answered 529.*Overloaded/);
  });

  it('maps 429 (retry-after-ms first) and 500 to retryable errors, 400 and 401 to final ones', async () => {
    await expect(provider()('fault-429-a').doGenerate({ prompt: 'x' })).rejects.toMatchObject({
      statusCode: 429,
      isRetryable: true,
      retryAfterMs: 40,
    });
    await expect(provider()('fault-500').doStream({ prompt: 'x' })).rejects.toMatchObject({
      statusCode: 500,
      isRetryable: true,
    });
    const invalid = await provider()('fault-400')
      .doGenerate({ prompt: 'x' })
      .catch((caught) => caught);
    expect(invalid).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(invalid.message).toMatch(/roles must alternate/);
    const unauthorized = await createAnthropic({ baseURL: upstream.baseURL, apiKey: 'wrong' })(
      'echo',
    )
      .doGenerate({ prompt: 'x' })
      .catch((caught) => caught);
    expect(unauthorized).toMatchObject({ statusCode: 401, isRetryable: false });
    expect(unauthorized.message).not.toContain('wrong');
  });

  it('ends a stream with a retryable error part at an overloaded_error event mid-stream', async () => {
    const streamed = await parts(
      (await provider()('fault-overloaded-midstream').doStream({ prompt: 'x' })).stream,
    );
    expect(textOf(streamed)).toBe('abcd');
    expect(streamed.at(-1)).toMatchObject({
      type: 'error',
      error: { name: 'APICallError', statusCode: 529, isRetryable: true },
    });
  });

  it('ends a stream with a ParseError at malformed SSE, and a retryable error at a dropped connection', async () => {
    const malformed = await parts(
      (await provider()('fault-malformed').doStream({ prompt: 'x', maxTokens: 10 })).stream,
    );
    expect(malformed.filter((part) => part.type === 'text-delta')).toHaveLength(1);
    expect(ParseError.isInstance((malformed.at(-1) as { error: unknown }).error)).toBe(true);
    const dropped = await parts((await provider()('fault-drop').doStream({ prompt: 'x' })).stream);
    expect(textOf(dropped)).toBe('abc');
    expect(dropped.at(-1)).toMatchObject({
      type: 'error',
      error: { name: 'APICallError', isRetryable: true },
    });
    expect(dropped.some((part) => part.type === 'finish')).toBe(false);
  });

  it('accepts a stream that ends after its stop reason without message_stop', async () => {
    const streamed = await parts(
      (await provider()('fault-no-stop').doStream({ prompt: 'x', maxTokens: 4 })).stream,
    );
    expect(streamed.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
    expect(streamed.find((part) => part.type === 'usage')).toMatchObject({
      usage: { outputTokens: 4 },
    });
  });

  it('times out a hanging upstream, aborts with an AbortError, and reports an unreachable one', async () => {
    const timedOut = await provider()('fault-hang', { timeoutMs: 50 })
      .doGenerate({ prompt: 'x' })
      .catch((caught) => caught);
    expect(TimeoutError.isInstance(timedOut)).toBe(true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const aborted = await provider()('fault-hang')
      .doStream({ prompt: 'x', abortSignal: controller.signal })
      .catch((caught) => caught);
    expect(AbortError.isInstance(aborted)).toBe(true);
    const unreachable = await createAnthropic({ baseURL: 'http://127.0.0.1:1/v1', apiKey: 'k' })(
      'x',
    )
      .doGenerate({ prompt: 'x' })
      .catch((caught) => caught);
    expect(unreachable).toMatchObject({ name: 'APICallError', isRetryable: true });
  });

  it('dispose aborts streams in flight and refuses later calls', async () => {
    const model = provider()('random');
    const { stream } = await model.doStream({ prompt: 'x', maxTokens: 100_000 });
    const reader = stream.getReader();
    await reader.read();
    await model.dispose();
    let last: ModelV1StreamPart | undefined;
    for (let result = await reader.read(); !result.done; result = await reader.read())
      last = result.value;
    expect(last?.type).toBe('error');
    await expect(model.doGenerate({ prompt: 'x' })).rejects.toSatisfy(
      ModelDisposedError.isInstance,
    );
    await expect(
      collectStream((await provider()('random').doStream({ prompt: 'x', maxTokens: 2 })).stream),
    ).resolves.toMatchObject({ finishReason: 'length' });
  });
});

describe('the anthropic default instance', () => {
  it('reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL lazily, and names a missing key', async () => {
    const previous = { key: process.env.ANTHROPIC_API_KEY, base: process.env.ANTHROPIC_BASE_URL };
    try {
      delete process.env.ANTHROPIC_API_KEY;
      process.env.ANTHROPIC_BASE_URL = upstream.baseURL;
      const model = anthropic('echo');
      expect(model.info).toMatchObject({ id: 'echo', format: 'anthropic', contextLength: 200_000 });
      const missing = await model.doGenerate({ prompt: 'x' }).catch((caught) => caught);
      expect(LlmrError.isInstance(missing)).toBe(true);
      expect(missing.code).toBe('api-key-missing');
      expect(missing.message).toMatch(/ANTHROPIC_API_KEY/);
      process.env.ANTHROPIC_API_KEY = 'test-key';
      const result = await model.doGenerate({ messages: [{ role: 'user', content: 'hi' }] });
      expect(result.text).toBe('hi');
      expect(upstream.requests.at(-1)!.body.max_tokens).toBe(4096);
    } finally {
      if (previous.key === undefined) delete process.env.ANTHROPIC_API_KEY;
      else process.env.ANTHROPIC_API_KEY = previous.key;
      if (previous.base === undefined) delete process.env.ANTHROPIC_BASE_URL;
      else process.env.ANTHROPIC_BASE_URL = previous.base;
    }
  });
});
