import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '../__fixtures__/test-server';
import { CONNECTION_INIT_TIMEOUT_CODE } from './connection-init-timeout';

const PROTOCOL = 'graphql-transport-ws';

/** A graphql-ws socket that has sent connection_init and had it acknowledged. */
async function initialised(url: string) {
  const socket = new WebSocket(url, PROTOCOL);
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  const [data] = (await once(socket, 'message')) as [Buffer];
  expect(JSON.parse(data.toString())).toEqual({ type: 'connection_ack' });
  return socket;
}

describe('GraphQL connection_init timeout', () => {
  it('closes a socket that never sends connection_init with 4408, not one that did', async () => {
    const { wsUrl } = await startServer({ timeouts: { graphqlConnectionInitMs: 300 } });
    const healthy = await initialised(`${wsUrl}/graphql`);
    const silent = new WebSocket(`${wsUrl}/graphql`, PROTOCOL);
    await once(silent, 'open');
    // A message that is not connection_init does not stop the wait either.
    silent.send(JSON.stringify({ type: 'ping' }));
    const [code, reason] = (await once(silent, 'close')) as [number, Buffer];
    expect(code).toBe(CONNECTION_INIT_TIMEOUT_CODE);
    expect(reason.toString()).toBe('Connection initialisation timeout');

    // The healthy socket was opened earlier, so its wait has passed too: it is still open
    // and still runs a subscription.
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    const messages: { type: string; payload?: { data: { generateStream: { delta: string } } } }[] =
      [];
    const completed = new Promise<void>((resolve) =>
      healthy.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString());
        messages.push(message);
        if (message.type === 'complete' || message.type === 'error') resolve();
      }),
    );
    healthy.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query:
            'subscription ($input: GenerateInput!) { generateStream(input: $input) { delta finishReason } }',
          variables: { input: { model: 'echo', prompt: 'still here' } },
        },
      }),
    );
    await completed;
    const deltas = messages
      .filter((message) => message.type === 'next')
      .map((message) => message.payload?.data.generateStream.delta);
    expect(messages.at(-1)?.type).toBe('complete');
    expect(deltas.join('')).toBe('still here');
    healthy.close();
  });

  it('also closes a silent socket of the legacy graphql-ws protocol', async () => {
    const { wsUrl } = await startServer({ timeouts: { graphqlConnectionInitMs: 200 } });
    const silent = new WebSocket(`${wsUrl}/graphql`, 'graphql-ws');
    const [code] = (await once(silent, 'close')) as [number];
    expect(code).toBe(CONNECTION_INIT_TIMEOUT_CODE);
  });
});
