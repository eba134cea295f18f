import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { callUnary, collect, type Message, startGrpcServer } from './__fixtures__/grpc-test-server';
import { readErrorDetails } from './grpc-errors';

const user = (content: string) => ({ role: 'user', content });
const text = (messages: Message[]) =>
  messages
    .filter((message) => message.event === 'delta')
    .map((message) => message.delta.content || message.delta.text)
    .join('');

describe('GenerationService', () => {
  it('Chat answers with the message, usage, routing, and routing metadata', async () => {
    const { generation } = await startGrpcServer();
    const { response, metadata } = await callUnary(generation.Chat, generation, {
      model: 'echo',
      messages: [user('Hello over gRPC')],
    });
    expect(response.message.content).toBe('Hello over gRPC');
    expect(response.message.role).toBe('assistant');
    expect(response.finish_reason).toBe('FINISH_REASON_STOP');
    expect(response.usage.output_tokens).toBe('Hello over gRPC'.length);
    expect(response.routing).toMatchObject({ model: 'echo', attempts: 1 });
    expect(metadata.get('x-llmr-model')).toEqual(['echo']);
    expect(metadata.get('x-request-id')[0]).toBe(response.id);
  });

  it('ChatStream sends start, deltas (UTF-8 intact) and end with usage', async () => {
    const { generation } = await startGrpcServer();
    const { messages, error } = await collect(
      generation.ChatStream({ model: 'echo', messages: [user('Grüße, 世界')] }),
    );
    expect(error).toBeUndefined();
    expect(messages[0]!.event).toBe('start');
    expect(messages[0]!.start.routing.model).toBe('echo');
    expect(text(messages)).toBe('Grüße, 世界');
    const end = messages.at(-1)!;
    expect(end.event).toBe('end');
    expect(end.end.finish_reason).toBe('FINISH_REASON_STOP');
    expect(end.end.usage.output_tokens).toBeGreaterThan(0);
  });

  it('Complete and CompleteStream, with echo', async () => {
    const { generation } = await startGrpcServer();
    const { response } = await callUnary(generation.Complete, generation, {
      model: 'echo',
      prompt: 'once',
      echo: true,
      sampling: { max_tokens: { value: 64 } },
    });
    expect(response.text).toBe('onceonce');
    const { messages } = await collect(
      generation.CompleteStream({ model: 'echo', prompt: 'upon' }),
    );
    expect(text(messages)).toBe('upon');
  });

  it('sampling parameters reach the model: max_tokens, stop, seed', async () => {
    const { generation } = await startGrpcServer();
    const ask = (request: Message) =>
      callUnary(generation.Chat, generation, {
        model: 'echo',
        messages: [user('abc;defgh')],
        ...request,
      });
    expect((await ask({ sampling: { max_tokens: { value: 3 } } })).response.message.content).toBe(
      'abc',
    );
    expect((await ask({ sampling: { stop: [';'] } })).response.message.content).toBe('abc');
    const seeded = () =>
      callUnary(generation.Chat, generation, {
        model: 'writer',
        messages: [user('x')],
        sampling: { max_tokens: { value: 8 }, temperature: { value: 0.9 }, seed: { value: 11 } },
      });
    const [first, second] = await Promise.all([seeded(), seeded()]);
    expect(first.response.message.content).toBe(second.response.message.content);
    expect(first.response.finish_reason).toBe('FINISH_REASON_LENGTH');
  });

  it('an invalid parameter is INVALID_ARGUMENT with a BadRequest field violation', async () => {
    const { generation } = await startGrpcServer();
    const error = await callUnary(generation.Chat, generation, {
      model: 'echo',
      messages: [user('x')],
      sampling: { temperature: { value: 5 } },
    }).catch((caught: Error & { code: number; metadata: Metadata }) => caught);
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT });
    const details = readErrorDetails((error as { metadata: Metadata }).metadata);
    expect(details?.reason).toBe('invalid_value');
    expect(details?.fieldViolations).toEqual([
      { field: 'temperature', description: expect.stringMatching(/temperature/) },
    ]);
  });

  it('a tools schema that is not JSON is INVALID_ARGUMENT naming the field', async () => {
    const { generation } = await startGrpcServer();
    const error = await callUnary(generation.Chat, generation, {
      model: 'echo',
      messages: [user('x')],
      tools: [{ name: 'lookup', parameters_json_schema: '{not json' }],
    }).catch((caught: Error & { code: number }) => caught);
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((error as Error).message).toMatch(
      /tools\[0\]\.parameters_json_schema must be a JSON text/,
    );
  });

  it('an unknown model is NOT_FOUND with ErrorInfo', async () => {
    const { generation } = await startGrpcServer();
    const { messages, error } = await collect(
      generation.ChatStream({ model: 'nope', messages: [user('x')] }),
    );
    expect(messages).toEqual([]);
    expect(error?.code).toBe(status.NOT_FOUND);
    const details = readErrorDetails(error?.metadata);
    expect(details).toMatchObject({ code: status.NOT_FOUND, reason: 'model_not_found' });
    expect(details?.metadata).toMatchObject({ http_status: '404', param: 'model' });
  });

  it('a failure mid-stream ends the stream with an error status after the deltas', async () => {
    const { generation } = await startGrpcServer();
    const { messages, error } = await collect(
      generation.ChatStream({ model: 'flaky', messages: [user('x')] }),
    );
    expect(text(messages).length).toBe(3);
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.message).toMatch(/failed after 3 tokens/);
  });

  it('a passed deadline aborts the generation on the server', async () => {
    const { generation, rest } = await startGrpcServer();
    const call = generation.ChatStream(
      { model: 'slow', messages: [user('x')], sampling: { max_tokens: { value: 100000 } } },
      new Metadata(),
      // Long enough to see the generation running; 100000 tokens at 20 ms would take far longer.
      { deadline: Date.now() + 3000 },
    );
    const ended = collect(call);
    await expect
      .poll(() => rest.inFlight().map((request) => request.transport), { timeout: 2500 })
      .toEqual(['grpc']);
    const { error } = await ended;
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    await expect.poll(() => rest.inFlight().length).toBe(0);
  });

  it('a cancelled call aborts the generation on the server', async () => {
    const { generation, rest } = await startGrpcServer();
    const call = generation.ChatStream({
      model: 'slow',
      messages: [user('x')],
      sampling: { max_tokens: { value: 100000 } },
    });
    const ended = collect(call);
    await new Promise((resolve) => call.once('data', resolve));
    expect(rest.inFlight()).toHaveLength(1);
    call.cancel();
    expect((await ended).error?.code).toBe(status.CANCELLED);
    await expect.poll(() => rest.inFlight().length).toBe(0);
  });
});
