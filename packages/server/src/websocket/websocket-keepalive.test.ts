import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '../__fixtures__/test-server';

describe('WebSocket keep-alive', () => {
  it('cuts off a peer that stops answering pings, aborting its generation; keeps one that answers', async () => {
    const { url, wsUrl } = await startServer({ timeouts: { websocketPingMs: 1_000 } });
    // A peer that answers no ping, as one behind a dropped network would.
    const silent = new WebSocket(`${wsUrl}/v1/ws`, { autoPong: false });
    const healthy = new WebSocket(`${wsUrl}/v1/ws`);
    await Promise.all([once(silent, 'open'), once(healthy, 'open')]);
    silent.send(
      JSON.stringify({
        type: 'completions',
        id: 'long',
        body: { model: 'slow', prompt: 'x', max_tokens: 1000 },
      }),
    );
    const [code] = (await once(silent, 'close')) as [number];
    expect(code).toBe(1006); // Terminated, no close frame.
    // The peer that answers has been through the same pings and is still connected.
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${url}/api/inflight`)).json()) as { requests: unknown[] }).requests
            .length,
      )
      .toBe(0);
    healthy.close();
  });
});
