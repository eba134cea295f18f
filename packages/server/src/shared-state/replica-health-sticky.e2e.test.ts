/**
 * Two server replicas over one real Redis share model health and sticky assignments: a
 * model that turns unhealthy on one replica is listed by the other until it recovers,
 * and a subject assigned on either replica gets the same value on both.
 */
import { collectStream, GenerationError, type ModelV1, type ModelV1StreamPart } from '@llmr/core';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisProcess, startRedisServer } from '../__fixtures__/redis-server';
import { createRouterBackend, createServer, type LlmrServer } from '../index';
import type { ModelHealthMark } from './model-health-sync';

/**
 * A test double of a remote model whose upstream can be switched off: while `failing`,
 * every call fails, and the router's self-healing probes fail too; switched back on, the
 * next probe succeeds. (A mock-loader model is reloaded as a new instance on recovery,
 * which resets its failure drills.)
 */
function createSwitchableModel(id: string) {
  const control = { failing: false };
  const switchedOff = () =>
    new GenerationError({ modelId: id, message: `${id}: the upstream is switched off` });
  const answer = () =>
    new ReadableStream<ModelV1StreamPart>({
      start(controller) {
        controller.enqueue({ type: 'stream-start' });
        controller.enqueue({ type: 'text-delta', delta: 'ok' });
        controller.enqueue({ type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } });
        controller.enqueue({ type: 'finish', finishReason: 'stop' });
        controller.close();
      },
    });
  const model: ModelV1 = {
    specificationVersion: 'v1',
    info: { id, format: 'test', contextLength: 512, capabilities: ['chat', 'completion'] },
    async doStream() {
      if (control.failing) throw switchedOff();
      return { stream: answer() };
    },
    async doGenerate() {
      if (control.failing) throw switchedOff();
      return collectStream(answer(), { modelId: id });
    },
    async dispose() {},
  };
  return { model, control };
}

let redis: RedisProcess;
const servers: LlmrServer[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.shutdown()));
  await redis?.stop();
});

async function startReplica(replicaId: string, remote: ModelV1) {
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [
      { id: 'echo', source: 'mock:echo' },
      { id: 'remote', model: remote },
    ],
    retry: { maxRetries: 0 },
    selfHealing: { failureThreshold: 1, reloadDelayMs: 50, maxReloadDelayMs: 100 },
  });
  const backend = createRouterBackend(router, { defaultModel: 'echo' });
  await backend.preload();
  const server = await createServer({
    backend,
    logger: false,
    apiKeys: [],
    redis: redis.url,
    replicaId,
  });
  servers.push(server);
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  // Connected to Redis (not degraded) before the test relies on sharing.
  await expect
    .poll(
      async () =>
        ((await (await fetch(`${url}/ready`)).json()) as Record<string, unknown>).shared_state,
      {
        timeout: 10_000,
      },
    )
    .toEqual({ mode: 'redis' });
  return { server, url };
}

const unhealthy = async (url: string) =>
  ((await (await fetch(`${url}/api/health/models`)).json()) as { unhealthy: ModelHealthMark[] })
    .unhealthy;

describe('replicas sharing health and sticky assignments through Redis', () => {
  it('lists a model one replica saw fail on the other, until it recovers', async () => {
    const first = createSwitchableModel('remote');
    const second = createSwitchableModel('remote');
    const a = await startReplica('replica-a', first.model);
    const b = await startReplica('replica-b', second.model);
    expect(await unhealthy(b.url)).toEqual([]);

    first.control.failing = true;
    const failed = await fetch(`${a.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'remote', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await expect
      .poll(() => unhealthy(b.url), { timeout: 10_000 })
      .toEqual([
        expect.objectContaining({ modelId: 'remote', state: 'unhealthy', replica: 'replica-a' }),
      ]);
    const [mark] = await unhealthy(b.url);
    expect(mark?.reason).toMatch(/switched off/);

    // The upstream comes back: replica A's probe succeeds and its mark goes, for both.
    first.control.failing = false;
    await expect.poll(() => unhealthy(b.url), { timeout: 10_000 }).toEqual([]);
    expect(await unhealthy(a.url)).toEqual([]);
  });

  it('gives a subject the same assignment on both replicas; one left alone expires', async () => {
    const a = await startReplica('replica-a', createSwitchableModel('remote').model);
    const b = await startReplica('replica-b', createSwitchableModel('remote').model);
    const onA = a.server.stickyAssignments({ namespace: 'experiment:e1', ttlMs: 60_000 });
    const onB = b.server.stickyAssignments({ namespace: 'experiment:e1', ttlMs: 60_000 });
    const subjects = Array.from({ length: 40 }, (_, index) => `user-${index}`);
    // Both replicas assign every subject at the same moment, each preferring its own variant.
    const [fromA, fromB] = await Promise.all([
      Promise.all(subjects.map((subject) => onA.assign(subject, () => 'control'))),
      Promise.all(subjects.map((subject) => onB.assign(subject, () => 'treatment'))),
    ]);
    expect(fromB).toEqual(fromA);
    for (const [index, subject] of subjects.entries())
      expect(await onB.get(subject)).toBe(fromA[index]);
    // Once assigned, a subject keeps its value whatever the replica would choose now.
    expect(await onB.assign('user-0', () => 'other')).toBe(fromA[0]);
    // Another namespace is another map.
    const other = b.server.stickyAssignments({ namespace: 'session' });
    expect(await other.assign('user-0', () => 'replica-b')).toBe('replica-b');

    // An assignment that is not renewed expires, and the subject is assigned afresh.
    const brief = a.server.stickyAssignments({ namespace: 'brief', ttlMs: 200 });
    expect(await brief.assign('visitor', () => 'first')).toBe('first');
    const briefOnB = b.server.stickyAssignments({ namespace: 'brief', ttlMs: 200 });
    await expect.poll(() => briefOnB.get('visitor'), { timeout: 5_000 }).toBeUndefined();
    expect(await briefOnB.assign('visitor', () => 'second')).toBe('second');
    await onA.release('user-1');
    expect(await onB.get('user-1')).toBeUndefined();
    await expect(onA.assign('x'.repeat(300), () => 'v')).rejects.toThrow(/1-256 characters/);
  });
});
