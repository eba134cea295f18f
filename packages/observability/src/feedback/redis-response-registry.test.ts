import { createMockModel } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer, type LlmrServer } from '@llmr/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../__fixtures__/redis-server';
import { observeServer } from '../fastify/observe-server';
import { RedisResponseRegistry } from './redis-response-registry';

type Replica = { server: LlmrServer; url: string } & Awaited<ReturnType<typeof observeServer>>;

/** One llmr server wired by `observeServer` to the shared redis-server, as `llmr serve --redis` does. */
async function startReplica(redisUrl: string): Promise<Replica> {
  const router = createRouter({
    models: [
      { id: 'small', model: createMockModel({ id: 'small', mode: 'script', replies: ['ok'] }) },
    ],
  });
  const server = await createServer({
    backend: createRouterBackend(router, { defaultModel: 'small' }),
    logger: false,
    apiKeys: [],
  });
  const observed = await observeServer({
    server,
    router,
    redis: { url: redisUrl, keyPrefix: 'test-replicas:' },
    quality: { minSamples: 1 },
    // Synced by hand below, so the test does not wait on a timer.
    syncEveryMs: 60_000,
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, url, ...observed };
}

describe('feedback across replicas through one real redis-server', () => {
  let redis: RedisServer;
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    redis = await startRedisServer();
    a = await startReplica(redis.url);
    b = await startReplica(redis.url);
  });
  afterAll(async () => {
    await a?.server.shutdown();
    await b?.server.shutdown();
    await redis?.stop();
  });

  const feedback = (replica: Replica, payload: object) =>
    fetch(`${replica.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });

  it('accepts on replica B feedback for a response replica A served, and both learn from it', async () => {
    const response = await fetch(`${a.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-llmr-task': 'code' },
      body: JSON.stringify({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    // B never served it: only the shared registry can tell B which request this was.
    expect(b.feedback.entries()).toHaveLength(0);

    const accepted = await feedback(b, { responseId: id, thumbs: 'down', text: 'wrong' });
    expect(accepted.status).toBe(201);
    const entry = b.feedback.entries().at(-1);
    expect(entry?.response).toMatchObject({
      responseId: id,
      model: 'small',
      route: '/v1/chat/completions',
      taskTag: 'code',
    });
    expect(b.quality.score('small', 'code')).toBe(0);
    // The rating reaches A through the shared quality store.
    expect(a.quality.score('small')).toBeUndefined();
    await b.quality.sync();
    await a.quality.sync();
    expect(a.quality.score('small', 'code')).toBe(0);

    // The request id (x-request-id) is registered too, and an unknown id still answers 404.
    const byRequestId = await feedback(b, {
      responseId: response.headers.get('x-request-id'),
      score: 1,
    });
    expect(byRequestId.status).toBe(201);
    const unknown = await feedback(b, { responseId: 'chatcmpl-never-served', score: 1 });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      'feedback-unknown-response',
    );
  });

  it('forgets a response after its TTL and refuses records that are not its own', async () => {
    const registry = new RedisResponseRegistry({
      url: redis.url,
      keyPrefix: 'test-ttl:',
      ttlSeconds: 1,
      missRetryMs: 0,
    });
    const reader = new RedisResponseRegistry({
      url: redis.url,
      keyPrefix: 'test-ttl:',
      missRetryMs: 0,
    });
    registry.register({ responseId: 'r1', model: 'm'.repeat(2_000), createdAt: 7 });
    await registry.idle();
    const found = await reader.lookup('r1');
    // Field lengths are bounded on the way in.
    expect(found?.model).toHaveLength(512);
    expect(found?.createdAt).toBe(7);
    const client = (await import('redis')).createClient({ url: redis.url });
    await client.connect();
    try {
      expect(Number(await client.ttl('test-ttl:r1'))).toBeGreaterThan(0);
      await client.set('test-ttl:foreign', 'not json');
      await client.set('test-ttl:huge', JSON.stringify({ model: 'x'.repeat(10_000) }));
      expect(await reader.lookup('foreign')).toBeUndefined();
      expect(await reader.lookup('huge')).toBeUndefined();
      // Redis drops the key at its TTL (expiry is Redis's clock, not the test's).
      await client.sendCommand(['PEXPIRE', 'test-ttl:r1', '1']);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await reader.lookup('r1')).toBeUndefined();
    } finally {
      await client.close();
      await registry.close();
      await reader.close();
    }
    expect(() => new RedisResponseRegistry({ ttlSeconds: 0 })).toThrow(/positive whole number/);
  });

  it('answers 503 saying what to do when Redis cannot be reached', async () => {
    const registry = new RedisResponseRegistry({ url: 'redis://127.0.0.1:1', missRetryMs: 0 });
    await expect(registry.lookup('r')).rejects.toMatchObject({
      code: 'response-registry-unavailable',
      message: expect.stringMatching(/Check the URL and that Redis is running/),
    });
    await registry.close();
  });
});
