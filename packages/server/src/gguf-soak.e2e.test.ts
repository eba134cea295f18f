/**
 * The soak's short version: 16 clients streaming concurrently from a small GGUF model on
 * real llama.cpp, a fixed number of requests each (not a fixed time, so nothing depends
 * on the machine's speed). Every stream completes with a finish reason and usage, nothing
 * is left in flight, and the server's handles return to where they were. The long
 * version, with memory and event-loop numbers, is `pnpm --filter @llmr/server bench:soak`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGgufLoader } from '@llmr/loader-gguf';
import { createRouter } from '@llmr/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBigramGguf } from './__fixtures__/bigram-gguf';
import { sseEvents } from './__fixtures__/test-server';
import { createRouterBackend, createServer, type LlmrServer } from './index';

const CLIENTS = 16;
const REQUESTS_PER_CLIENT = 4;

let dir: string;
let server: LlmrServer;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-soak-test-'));
  const path = await writeBigramGguf(join(dir, 'bigram-f16.gguf'));
  const router = createRouter({
    loaders: [createGgufLoader({ defaults: { sequences: CLIENTS, contextLength: 512 } })],
    models: [{ id: 'soak', source: path }],
    retry: { maxRetries: 0 },
  });
  const backend = createRouterBackend(router, { defaultModel: 'soak' });
  await backend.preload();
  server = await createServer({ backend, logger: false, apiKeys: [] });
  url = await server.listen({ port: 0 });
}, 120_000);
afterAll(async () => {
  await server?.shutdown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('16 streaming clients on a GGUF model', () => {
  it('completes every stream, leaves nothing in flight, and releases its handles', async () => {
    const handlesBefore = process.getActiveResourcesInfo().length;
    const failures: string[] = [];
    let completionTokens = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let turn = 0; turn < REQUESTS_PER_CLIENT; turn++) {
          const response = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', connection: 'close' },
            body: JSON.stringify({
              model: 'soak',
              messages: [{ role: 'user', content: `client ${client} turn ${turn}` }],
              max_tokens: 24,
              seed: client * 100 + turn,
              stream: true,
              stream_options: { include_usage: true },
            }),
          });
          const text = await response.text();
          const events = sseEvents(text);
          const finish = events.find((event) => event.choices?.[0]?.finish_reason);
          const usage = events.find((event) => event.usage)?.usage;
          if (
            response.status !== 200 ||
            !text.trimEnd().endsWith('data: [DONE]') ||
            !finish ||
            !usage
          )
            failures.push(`client ${client} turn ${turn}: ${response.status} ${text.slice(-300)}`);
          else completionTokens += usage.completion_tokens;
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(completionTokens).toBeGreaterThan(CLIENTS * REQUESTS_PER_CLIENT);
    expect(server.inFlight()).toEqual([]);
    const metrics = await (
      await fetch(`${url}/metrics`, { headers: { connection: 'close' } })
    ).text();
    expect(metrics).toContain(
      `llmr_http_requests_total{route="chat",model="soak",status="200"} ${CLIENTS * REQUESTS_PER_CLIENT}`,
    );
    // Sockets closed (connection: close) and timers settled: back to where it started.
    await expect
      .poll(() => process.getActiveResourcesInfo().length, { timeout: 10_000 })
      .toBeLessThanOrEqual(handlesBefore);
  }, 180_000);
});
