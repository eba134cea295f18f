import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { callUnary, collect, startGrpcServer } from './__fixtures__/grpc-test-server';
import {
  type GrpcCallInfo,
  type GrpcCallObserver,
  type GrpcCallOutcome,
  setGrpcCallObserver,
} from './grpc-call-observer';

/** An observer that keeps what it was told, and runs each call in between. */
function recordingObserver() {
  const calls: { info: GrpcCallInfo; outcome: GrpcCallOutcome }[] = [];
  const observer: GrpcCallObserver = {
    async call(info, run) {
      const outcome = await run();
      calls.push({ info, outcome });
      return outcome;
    },
  };
  return { observer, calls };
}

describe('the gRPC call observer', () => {
  it('sees each generating call: method, route, model, metadata without credentials, and its outcome', async () => {
    const { rest, generation } = await startGrpcServer();
    const { observer, calls } = recordingObserver();
    // Set on the options after the server was built, as observeServer does: read per call.
    setGrpcCallObserver(rest.shared, observer);
    const metadata = new Metadata();
    metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    metadata.set('authorization', 'Bearer secret');
    const { response } = await callUnary(
      generation.Chat,
      generation,
      { model: 'echo', messages: [{ role: 'user', content: 'hi' }] },
      metadata,
    );
    expect(response.message.content).toBe('hi');
    expect(calls).toHaveLength(1);
    const [{ info, outcome }] = calls as [(typeof calls)[number]];
    expect(info).toMatchObject({
      method: '/llmr.v1.GenerationService/Chat',
      route: 'grpc.chat',
      model: 'echo',
      stream: false,
      requestId: response.id,
    });
    expect(info.metadata.traceparent).toMatch(/^00-0af7/);
    expect(info.metadata.authorization).toBeUndefined();
    expect(outcome).toMatchObject({
      status: 200,
      code: 0,
      routing: { model: 'echo', attempts: 1 },
      usage: { outputTokens: 2 },
    });

    // A failure is reported with REST's status and the client's gRPC code, and still reaches the client.
    const { error } = await collect(
      generation.ChatStream({ model: 'missing', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error?.code).toBe(status.NOT_FOUND);
    expect(calls[1]?.info).toMatchObject({ route: 'grpc.chat', stream: true, model: 'missing' });
    expect(calls[1]?.outcome).toMatchObject({ status: 404, code: status.NOT_FOUND });
    expect(calls[1]?.outcome.routing).toBeUndefined();
    expect(calls[1]?.outcome.error).toBeDefined();
  });
});
