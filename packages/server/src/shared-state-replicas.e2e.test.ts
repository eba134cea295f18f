/**
 * Two server replicas over one real Redis: a key's limit holds across both under
 * concurrent load, a breaker opened by one replica's failures is seen by the other, and a
 * Redis outage degrades both (still serving) until Redis returns.
 */
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisProcess, startRedisServer } from './__fixtures__/redis-server';
import { createRouterBackend, createServer, type LlmrServer, type ServerOptions } from './index';

let redis: RedisProcess;
const servers: LlmrServer[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.shutdown()));
  await redis?.stop();
});

async function startReplica(options: Partial<ServerOptions>) {
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [
      { id: 'echo', source: 'mock:echo' },
      { id: 'broken', source: 'mock:random?failFirstCalls=1000' },
    ],
    retry: { maxRetries: 0 },
    circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
  });
  const backend = createRouterBackend(router, { defaultModel: 'echo' });
  await backend.preload();
  const server = await createServer({ backend, logger: false, apiKeys: ['k'], ...options });
  servers.push(server);
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, backend, url };
}

async function until(predicate: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const chat = (url: string, model = 'echo') =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
  });

const sharedMode = async (url: string) =>
  ((await (await fetch(`${url}/ready`)).json()) as { shared_state?: { mode: string } }).shared_state
    ?.mode;

describe('replicas sharing one Redis', () => {
  it('hold a key limit across replicas, share breakers, and ride out a Redis restart', async () => {
    const limit = 300;
    const options: Partial<ServerOptions> = {
      redis: { url: redis.url, probeIntervalMs: 100 },
      limits: { requestsPerMinute: limit },
    };
    const a = await startReplica(options);
    const b = await startReplica(options);
    await until(async () => (await sharedMode(a.url)) === 'redis');
    await until(async () => (await sharedMode(b.url)) === 'redis');

    // Twice the limit, all at once, half to each replica.
    const statuses = await Promise.all(
      Array.from({ length: limit * 2 }, async (_, index) => {
        const response = await chat(index % 2 === 0 ? a.url : b.url);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const allowed = statuses.filter((status) => status === 200).length;
    const limited = statuses.filter((status) => status === 429).length;
    expect(allowed + limited).toBe(limit * 2);
    expect(Math.abs(allowed - limit) / limit).toBeLessThanOrEqual(0.02);
    expect(await sharedMode(a.url)).toBe('redis');
    console.info(`limit ${limit}/min over 2 replicas: ${allowed} admitted of ${limit * 2}`);
    const refused = await chat(b.url);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe(String(limit));
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(m\d+)?s$|ms$/);

    // A's failures open its breaker; B, which never called the model, opens too.
    const breakerServers = [
      await startReplica({ redis: { url: redis.url, probeIntervalMs: 100 } }),
      await startReplica({ redis: { url: redis.url, probeIntervalMs: 100 } }),
    ];
    const [c, d] = breakerServers as [typeof a, typeof a];
    await until(async () => (await sharedMode(c.url)) === 'redis');
    for (let attempt = 0; attempt < 2; attempt++)
      expect((await chat(c.url, 'broken')).status).toBeGreaterThanOrEqual(500);
    expect(c.backend.stats?.().circuits?.broken).toBe(2);
    await until(() => d.backend.stats?.().circuits?.broken === 2);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toContain('llmr_circuit_state{model="broken"} 2');

    // Redis dies: both keep serving, degraded, and say so; Redis returns: both recover.
    await redis.stop();
    expect((await chat(c.url)).status).toBe(200);
    await until(async () => (await sharedMode(c.url)) === 'degraded');
    expect(await (await fetch(`${c.url}/metrics`)).text()).toContain(
      'llmr_shared_state_degraded 1',
    );
    await until(async () => (await sharedMode(d.url)) === 'degraded');
    await redis.start();
    await until(async () => (await sharedMode(c.url)) === 'redis');
    await until(async () => (await sharedMode(d.url)) === 'redis');
    expect(await (await fetch(`${c.url}/metrics`)).text()).toContain(
      'llmr_shared_state_degraded 0',
    );
    expect((await chat(d.url)).status).toBe(200);
  });
});
