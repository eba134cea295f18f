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
import { startUpstreamDouble, type UpstreamDouble } from './__fixtures__/openai-upstream-double';
import { createOpenAICompatible, openai } from './openai-compatible-provider';

let upstream: UpstreamDouble;
const provider = () =>
  createOpenAICompatible({ baseURL: upstream.baseURL, apiKey: 'test-key', name: 'local' });

beforeAll(async () => {
  upstream = await startUpstreamDouble();
});
afterAll(async () => {
  await upstream?.close();
});

// The conformance kit, through a real HTTP server: raw prompts go to /v1/completions...
testModel({
  name: 'openai-compatible (completions)',
  createModel: async () => provider()('conformance'),
  timeout: 20_000,
});
// ...and with completions off, to /v1/chat/completions as a user message.
testModel({
  name: 'openai-compatible (chat)',
  createModel: async () => provider()('conformance-chat', { completions: false }),
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

describe('OpenAI-compatible model', () => {
  it('chats, streams the same text, and reports usage from stream_options.include_usage', async () => {
    const model = provider()('echo');
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: 'héllo 👋 wörld' },
    ];
    const generated = await model.doGenerate({ messages });
    expect(generated).toMatchObject({
      text: 'héllo 👋 wörld',
      finishReason: 'stop',
      metadata: { model: 'echo' },
    });
    const streamed = await parts((await model.doStream({ messages })).stream);
    expect(textOf(streamed)).toBe(generated.text);
    expect(streamed.map((part) => part.type).slice(-2)).toEqual(['usage', 'finish']);
    expect(streamed.find((part) => part.type === 'usage')).toEqual({
      type: 'usage',
      usage: generated.usage,
    });
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({
      model: 'echo',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'héllo 👋 wörld' },
      ],
    });
    expect(sent.headers.authorization).toBe('Bearer test-key');
  });

  it('maps options to the request body, with providerOptions merged in', async () => {
    const model = provider()('random');
    await model.doGenerate({
      prompt: 'x',
      maxTokens: 3,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      seed: 3,
      stopSequences: ['\n'],
      logprobs: true,
      topLogprobs: 2,
      providerOptions: { local: { cache_prompt: true }, other: { ignored: true } },
    });
    expect(upstream.requests.at(-1)!.body).toEqual({
      model: 'random',
      prompt: 'x',
      max_tokens: 3,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      seed: 3,
      stop: ['\n'],
      logprobs: 2,
      cache_prompt: true,
    });
  });

  it('returns logprobs for chat and completions, streamed and not', async () => {
    const model = provider()('random');
    const chat = await model.doGenerate({
      messages: [{ role: 'user', content: 'x' }],
      maxTokens: 3,
      logprobs: true,
    });
    expect(chat.logprobs).toHaveLength(3);
    expect(chat.logprobs![0]).toMatchObject({ logprob: Math.log(0.9), topLogprobs: [] });
    const streamed = await parts(
      (await model.doStream({ prompt: 'x', maxTokens: 3, logprobs: true })).stream,
    );
    expect(
      streamed.flatMap((part) => (part.type === 'text-delta' ? (part.logprobs ?? []) : [])),
    ).toHaveLength(3);
  });

  it('assembles tool calls from streamed deltas, and reads them from a whole response', async () => {
    const model = provider()('tools');
    const tools = [
      {
        type: 'function' as const,
        name: 'get_weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ];
    const messages = [{ role: 'user' as const, content: 'weather in Paris?' }];
    const streamed = await parts(
      (
        await model.doStream({
          messages,
          tools,
          toolChoice: { type: 'tool', toolName: 'get_weather' },
        })
      ).stream,
    );
    const deltas = streamed.filter((part) => part.type === 'tool-call-delta');
    expect(deltas.length).toBe(4);
    expect(
      deltas.every(
        (part) =>
          part.type === 'tool-call-delta' &&
          part.toolCallId === 'call_1' &&
          part.toolName === 'get_weather',
      ),
    ).toBe(true);
    const call = {
      id: 'call_1',
      toolName: 'get_weather',
      arguments: '{"city":"Paris","unit":"celsius"}',
    };
    expect(streamed.find((part) => part.type === 'tool-call')).toEqual({
      type: 'tool-call',
      toolCall: call,
    });
    expect(streamed.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool-calls' });
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const generated = await model.doGenerate({ messages, tools });
    expect(generated).toMatchObject({ toolCalls: [call], finishReason: 'tool-calls', text: '' });
    // Tool results go back as tool messages.
    await model.doGenerate({
      messages: [
        ...messages,
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'tool', toolCallId: 'call_1', content: '18C' },
      ],
    });
    expect(upstream.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'weather in Paris?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: call.arguments },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
    ]);
  });

  it('embeds, in input order, with usage', async () => {
    const result = await provider()('random').doEmbed!({ values: ['a', 'bb', 'ccc'] });
    expect(result.embeddings).toHaveLength(3);
    expect(result.usage.inputTokens).toBe(9);
    const again = await provider()('random').doEmbed!({ values: ['ccc'] });
    expect(again.embeddings[0]).toEqual(result.embeddings[2]);
  });

  it('lists the upstream models', async () => {
    expect(await provider().listModels()).toEqual(['echo', 'tools', 'random']);
  });
});

describe('upstream failures', () => {
  it('maps a 429 to a retryable APICallError with retryAfterMs', async () => {
    const error = await provider()('fault-429-first')
      .doGenerate({ prompt: 'x' })
      .catch((caught) => caught);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 429, isRetryable: true, retryAfterMs: 40 });
    expect(error.message).toMatch(/answered 429 Too Many Requests: rate limited/);
    expect(error.responseHeaders['retry-after']).toBe('1');
  });

  it('maps a 500 to a retryable APICallError with the body', async () => {
    const error = await provider()('fault-500')
      .doStream({ prompt: 'x' })
      .catch((caught) => caught);
    expect(error).toMatchObject({
      statusCode: 500,
      isRetryable: true,
      responseBody: expect.stringContaining('the upstream is broken'),
    });
  });

  it('ends a stream with a ParseError part at malformed SSE, after the text before it', async () => {
    const streamed = await parts(
      (await provider()('fault-malformed').doStream({ prompt: 'x', maxTokens: 10, seed: 1 }))
        .stream,
    );
    expect(streamed.filter((part) => part.type === 'text-delta')).toHaveLength(1);
    const last = streamed.at(-1)!;
    expect(last.type).toBe('error');
    expect(ParseError.isInstance((last as { error: unknown }).error)).toBe(true);
  });

  it('ends a stream with a retryable error part when the connection drops mid-stream', async () => {
    const streamed = await parts((await provider()('fault-drop').doStream({ prompt: 'x' })).stream);
    expect(textOf(streamed)).toBe('abc');
    const last = streamed.at(-1) as { type: string; error: APICallError };
    expect(last.type).toBe('error');
    expect(last.error).toMatchObject({ name: 'APICallError', isRetryable: true });
    expect(streamed.some((part) => part.type === 'finish')).toBe(false);
  });

  it('turns an error event mid-stream into an APICallError part', async () => {
    const streamed = await parts(
      (
        await provider()('fault-midstream-error').doStream({
          messages: [{ role: 'user', content: 'x' }],
        })
      ).stream,
    );
    expect(textOf(streamed)).toBe('abcd');
    expect(streamed.at(-1)).toMatchObject({
      type: 'error',
      error: { name: 'APICallError', statusCode: 500, isRetryable: true },
    });
  });

  it('accepts a stream that ends after its finish reason without [DONE]', async () => {
    const streamed = await parts(
      (await provider()('fault-no-done').doStream({ prompt: 'x', maxTokens: 4, seed: 2 })).stream,
    );
    expect(streamed.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('times out a hanging upstream with a TimeoutError, and aborts with an AbortError', async () => {
    const hanging = provider()('fault-hang', { timeoutMs: 50 });
    const error = await hanging.doGenerate({ prompt: 'x' }).catch((caught) => caught);
    expect(TimeoutError.isInstance(error)).toBe(true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const aborted = await provider()('fault-hang')
      .doStream({ prompt: 'x', abortSignal: controller.signal })
      .catch((caught) => caught);
    expect(AbortError.isInstance(aborted)).toBe(true);
  });

  it('reports an unreachable upstream as a retryable APICallError', async () => {
    const error = await createOpenAICompatible({ baseURL: 'http://127.0.0.1:1/v1' })('x')
      .doGenerate({ prompt: 'x' })
      .catch((caught) => caught);
    expect(error).toMatchObject({ name: 'APICallError', isRetryable: true });
    expect(error.message).toMatch(/connection to http:\/\/127\.0\.0\.1:1\/v1\/completions failed/);
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

describe('the openai default instance', () => {
  it('reads OPENAI_API_KEY and OPENAI_BASE_URL lazily, on each request', async () => {
    const previous = { key: process.env.OPENAI_API_KEY, base: process.env.OPENAI_BASE_URL };
    try {
      delete process.env.OPENAI_API_KEY;
      process.env.OPENAI_BASE_URL = upstream.baseURL;
      const model = openai('echo');
      expect(model.info).toMatchObject({ id: 'echo', format: 'openai', contextLength: 128_000 });
      const missing = await model.doGenerate({ prompt: 'x' }).catch((caught) => caught);
      expect(LlmrError.isInstance(missing)).toBe(true);
      expect(missing.code).toBe('api-key-missing');
      process.env.OPENAI_API_KEY = 'sk-later';
      await model.doGenerate({ messages: [{ role: 'user', content: 'hi' }] });
      expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer sk-later');
    } finally {
      if (previous.key === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = previous.key;
      if (previous.base === undefined) delete process.env.OPENAI_BASE_URL;
      else process.env.OPENAI_BASE_URL = previous.base;
    }
  });
});
