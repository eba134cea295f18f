/**
 * Two server replicas, each with its own gateway over one database, share a key's
 * per-minute limits through one real Redis: together they admit exactly the key's
 * requests per minute under concurrent load, and refuse at exactly its tokens per minute.
 * Without Redis each replica counts alone, and the same traffic gets twice through.
 */
import {
  createGateway,
  type Gateway,
  openDatabase,
  type Policy,
  type SqlDatabase,
} from '@llmr/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisProcess, startRedisServer } from './__fixtures__/redis-server';
import { createTestRouter } from './__fixtures__/test-router';
import { createRouterBackend, createServer, type LlmrServer } from './index';

let redis: RedisProcess;
let database: SqlDatabase;
const servers: LlmrServer[] = [];
const gateways: Gateway[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  database = await openDatabase('pglite:memory');
}, 120_000);
afterAll(async () => {
  await Promise.all(servers.map((server) => server.shutdown()));
  await database?.close();
  await redis?.stop();
});

/** A replica: its own gateway object (so its own in-process limiter) on the shared database. */
async function startReplica(shared: boolean) {
  const gateway = await createGateway({ database });
  gateways.push(gateway);
  const server = await createServer({
    backend: createRouterBackend(createTestRouter(), { defaultModel: 'echo' }),
    logger: false,
    gateway,
    ...(shared ? { redis: redis.url } : {}),
  });
  servers.push(server);
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  // Redis connects in the background; until then a replica counts on its own.
  for (let attempt = 0; shared && (await sharedMode(url)) !== 'redis'; attempt++) {
    if (attempt > 300) throw new Error('the replica never connected to Redis');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { gateway, url };
}

const sharedMode = async (url: string) =>
  ((await (await fetch(`${url}/ready`)).json()) as { shared_state?: { mode: string } }).shared_state
    ?.mode;

let tenants = 0;
async function newKey(gateway: Gateway, policy: Policy): Promise<string> {
  const tenant = `team-${++tenants}`;
  await gateway.tenants.create({ name: tenant });
  return (await gateway.keys.create({ tenant, policy })).key;
}

const chat = (url: string, key: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello' }] }),
  });

async function waitForRequests(gateway: Gateway, key: string, requests: number) {
  const keyId = key.split('-')[2] as string;
  for (let attempt = 0; attempt < 200; attempt++) {
    const rows = await gateway.usage.query({ keyId });
    if (rows.reduce((sum, row) => sum + row.requests, 0) >= requests) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`usage never reached ${requests} requests`);
}

/** 12 requests at once, alternating between the replicas; the statuses, sorted. */
async function burst(urls: string[], key: string): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: 12 }, (_, index) => chat(urls[index % urls.length] as string, key)),
  );
  return responses.map((response) => response.status).sort();
}

describe('gateway limits across replicas', () => {
  it('admits exactly the requests per minute across two replicas on one Redis', async () => {
    const [a, b] = [await startReplica(true), await startReplica(true)];
    const key = await newKey(a.gateway, { requestsPerMinute: 5 });
    const statuses = await burst([a.url, b.url], key);
    expect(statuses).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
  });

  it('without Redis each replica counts alone: the same burst gets twice the limit through', async () => {
    const [a, b] = [await startReplica(false), await startReplica(false)];
    const key = await newKey(a.gateway, { requestsPerMinute: 5 });
    const statuses = await burst([a.url, b.url], key);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
  });

  it('refuses at exactly the tokens per minute, whichever replica charged them', async () => {
    const [a, b] = [await startReplica(true), await startReplica(true)];
    const probe = await newKey(a.gateway, {});
    const first = await chat(a.url, probe);
    const perRequest = ((await first.json()) as { usage: { total_tokens: number } }).usage
      .total_tokens;
    expect(perRequest).toBeGreaterThan(0);
    // Two requests use the limit up exactly; the third is refused on either replica.
    const key = await newKey(a.gateway, { tokensPerMinute: 2 * perRequest });
    expect((await chat(a.url, key)).status).toBe(200);
    await waitForRequests(a.gateway, key, 1);
    expect((await chat(b.url, key)).status).toBe(200);
    await waitForRequests(a.gateway, key, 2);
    const refused = await chat(a.url, key);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      new RegExp(
        `limit of ${2 * perRequest} tokens per minute is used up \\(${2 * perRequest} used`,
      ),
    );
    expect((await chat(b.url, key)).status).toBe(429);
  });
});
