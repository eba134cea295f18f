import {
  GenerationError,
  InvalidArgumentError,
  isAbortError,
  type ModelV1StreamPart,
} from '@llmr/core';
import { createMockLoader, createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createTestModel, readAll, textOf } from './__fixtures__/test-models';
import { createManualClock } from './clock';
import { RouterError } from './errors';
import type { RouterEvent } from './events';
import { createRouter } from './router';

const reply = (text: string) => ({ mode: 'script' as const, replies: [text] });

describe('resolving what a request asks for', () => {
  const router = createRouter({
    models: [
      { id: 'a', model: createMockModel({ ...reply('from a'), id: 'a' }) },
      { id: 'b', model: createMockModel({ ...reply('from b'), id: 'b' }) },
    ],
    routes: { main: { models: ['b', 'a'], strategy: 'fallback' } },
    aliases: { best: 'main', 'also-best': 'best', bee: 'b' },
    defaultRoute: 'main',
  });

  it('pins a model by id, follows aliases to routes and models, and sends auto to the default route', async () => {
    expect((await router.generate({ model: 'a', prompt: 'x' })).text).toBe('from a');
    const viaAlias = await router.generate({ model: 'also-best', prompt: 'x' });
    expect(viaAlias.text).toBe('from b');
    expect(viaAlias.routing.resolution).toEqual({
      kind: 'route',
      target: 'main',
      aliases: ['also-best', 'best'],
    });
    expect((await router.generate({ model: 'bee', prompt: 'x' })).routing).toMatchObject({
      modelId: 'b',
      strategy: 'pinned',
    });
    const auto = await router.generate({ prompt: 'x' });
    expect(auto.routing).toMatchObject({
      requested: 'auto',
      route: 'main',
      modelId: 'b',
      strategy: 'fallback',
    });
  });

  it('refuses an unknown name with model-not-found, listing what exists', async () => {
    const error = await router.generate({ model: 'nope', prompt: 'x' }).catch((caught) => caught);
    expect(RouterError.isInstance(error)).toBe(true);
    expect(error.code).toBe('model-not-found');
    expect(error.message).toMatch(/a, b, main, best/);
  });

  it('validates call options before routing', async () => {
    await expect(router.generate({ model: 'a', prompt: 'x', maxTokens: -1 })).rejects.toSatisfy(
      InvalidArgumentError.isInstance,
    );
  });

  it('lists models, routes and aliases', () => {
    expect(router.listModels().map((listing) => `${listing.kind}:${listing.id}`)).toEqual([
      'model:a',
      'model:b',
      'route:main',
      'alias:best',
      'alias:also-best',
      'alias:bee',
    ]);
  });
});

describe('fallback before the first token', () => {
  it('falls back when a model fails before producing anything, and records why', async () => {
    const events: RouterEvent[] = [];
    const broken = createTestModel({ id: 'broken', failFirstCalls: 100 });
    const router = createRouter({
      models: [
        { id: 'broken', model: broken },
        { id: 'good', model: createMockModel({ ...reply('fine'), id: 'good' }) },
      ],
      routes: { chain: { fallback: ['broken', 'good'] } },
      retry: { maxRetries: 0 },
      onEvent: (event) => events.push(event),
    });
    const { stream, routing } = await router.stream({ model: 'chain', prompt: 'hi' });
    const parts = await readAll(stream);
    expect(textOf(parts)).toBe('fine');
    expect(routing.modelId).toBe('good');
    expect(routing.attempts.map((attempt) => [attempt.modelId, attempt.outcome])).toEqual([
      ['broken', 'error'],
      ['good', 'success'],
    ]);
    expect(routing.attempts[0]!.error).toMatchObject({ code: 'mock-failure', isRetryable: true });
    expect(events.map((event) => event.type)).toContain('fallback');
    // The stream says who serves it from its first part, and the final routing in finish.
    expect(parts[0]).toMatchObject({
      type: 'stream-start',
      metadata: { routing: { modelId: 'good' } },
    });
    const finish = parts.at(-1) as Extract<ModelV1StreamPart, { type: 'finish' }>;
    expect(finish.metadata?.routing).toMatchObject({ modelId: 'good', usage: { outputTokens: 4 } });
  });

  it('falls back when a stream fails before its first text (failAfterTokens=0)', async () => {
    const router = createRouter({
      loaders: [createMockLoader()],
      models: [
        { id: 'zero', source: 'mock:script?reply=never&failAfterTokens=0' },
        { id: 'ok', source: 'mock:script?reply=served' },
      ],
      routes: { r: { fallback: ['zero', 'ok'] } },
      retry: { maxRetries: 0 },
    });
    const { stream, routing } = await router.stream({ model: 'r', prompt: 'x' });
    expect(textOf(await readAll(stream))).toBe('served');
    expect(routing.attempts[0]).toMatchObject({ modelId: 'zero', outcome: 'error' });
    await router.dispose();
  });

  it('a token that completes no text yet (half a character) is not a commit: a failure then still falls back', async () => {
    const router = createRouter({
      models: [
        {
          id: 'half',
          model: createMockModel({ ...reply('日本'), id: 'half', failAfterTokens: 1 }),
        },
        { id: 'whole', model: createMockModel({ ...reply('whole'), id: 'whole' }) },
      ],
      routes: { r: { fallback: ['half', 'whole'] } },
      retry: { maxRetries: 0 },
    });
    const { stream, routing } = await router.stream({ model: 'r', prompt: 'x' });
    expect(textOf(await readAll(stream))).toBe('whole');
    expect(routing.attempts.map((attempt) => `${attempt.modelId}:${attempt.outcome}`)).toEqual([
      'half:error',
      'whole:success',
    ]);
  });

  it('after the first text, a failure is one clean error part: no fallback, no duplicated text', async () => {
    const backup = createTestModel({ ...reply('BACKUP'), id: 'backup' });
    const router = createRouter({
      models: [
        {
          id: 'flaky',
          model: createMockModel({ ...reply('abcdefgh'), id: 'flaky', failAfterTokens: 3 }),
        },
        { id: 'backup', model: backup },
      ],
      routes: { r: { fallback: ['flaky', 'backup'] } },
    });
    const { stream, done } = await router.stream({ model: 'r', prompt: 'x' });
    const parts = await readAll(stream);
    expect(textOf(parts)).toBe('abc');
    expect(parts.filter((part) => part.type === 'error')).toHaveLength(1);
    expect(parts.at(-1)!.type).toBe('error');
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    expect(backup.calls).toBe(0);
    const final = await done;
    expect(final.modelId).toBe('flaky');
    expect(GenerationError.isInstance(final.error)).toBe(true);
    expect(router.stats().models.flaky!.errors).toBe(1);
  });

  it('generate falls back even after tokens, since nothing reached the caller yet', async () => {
    const router = createRouter({
      models: [
        {
          id: 'flaky',
          model: createMockModel({ ...reply('abcdefgh'), id: 'flaky', failAfterTokens: 3 }),
        },
        { id: 'backup', model: createMockModel({ ...reply('whole answer'), id: 'backup' }) },
      ],
      routes: { r: { fallback: ['flaky', 'backup'] } },
      retry: { maxRetries: 0 },
    });
    const result = await router.generate({ model: 'r', prompt: 'x' });
    expect(result.text).toBe('whole answer');
    expect(result.routing.attempts.map((attempt) => attempt.outcome)).toEqual(['error', 'success']);
  });

  it('fails with all-candidates-failed, listing every attempt, when nothing works', async () => {
    const router = createRouter({
      models: [
        { id: 'x', model: createTestModel({ id: 'x', failFirstCalls: 9 }) },
        {
          id: 'y',
          model: createTestModel({
            id: 'y',
            errors: [new InvalidArgumentError({ argument: 'prompt', message: 'too long for y' })],
          }),
        },
      ],
      retry: { maxRetries: 1, baseDelayMs: 1 },
      strategy: 'fallback',
    });
    const error = await router.stream({ prompt: 'x' }).catch((caught) => caught);
    expect(error.code).toBe('all-candidates-failed');
    // x retried once (retryable), y not retried (not retryable).
    expect(
      error.attempts.map(
        (attempt: { modelId: string; retry: number }) => `${attempt.modelId}#${attempt.retry}`,
      ),
    ).toEqual(['x#0', 'x#1', 'y#0']);
    expect(error.routing.attempts).toBe(error.attempts);
  });
});

describe('capability filters', () => {
  const router = createRouter({
    models: [
      { id: 'tiny', model: createMockModel({ ...reply('tiny'), contextLength: 16 }) },
      {
        id: 'tools',
        model: createTestModel({
          ...reply('tools'),
          info: { capabilities: ['chat', 'completion', 'tools', 'json-schema'] },
        }),
      },
      { id: 'embedder', model: createMockModel(reply('e')), capabilities: ['embeddings'] },
    ],
    strategy: 'fallback',
  });

  it('excludes models without a needed capability, and says which', () => {
    const routing = router.route({
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', name: 'weather', parameters: { type: 'object' } }],
    });
    expect(routing.candidates.map((candidate) => candidate.modelId)).toEqual(['tools']);
    expect(routing.excluded).toEqual([
      {
        modelId: 'tiny',
        reason: 'capability:tools',
        detail: 'declares chat, completion, embeddings, logprobs',
      },
      { modelId: 'embedder', reason: 'capability:chat', detail: 'declares embeddings' },
    ]);
  });

  it('excludes models whose context cannot hold the prompt, counted with their tokenizer once loaded', async () => {
    const prompt = 'a long prompt that does not fit sixteen tokens';
    expect(
      router.route({ prompt }).excluded.find((excluded) => excluded.modelId === 'tiny'),
    ).toMatchObject({ reason: 'context-length' });
    expect(router.route({ prompt }).promptTokens).toBe(prompt.length + 1); // byte tokenizer + BOS
    expect(router.route({ prompt: 'short' }).candidates[0]!.modelId).toBe('tiny');
  });

  it('json schema requests need json-schema; embeddings need embeddings', async () => {
    const routing = router.route({
      prompt: 'x',
      responseFormat: { type: 'json', schema: { type: 'object' } },
    });
    expect(routing.candidates.map((candidate) => candidate.modelId)).toEqual(['tools']);
    const embedded = await router.embed({ values: ['a', 'b'] });
    expect(embedded.embeddings).toHaveLength(2);
    // The mock declares embeddings too; the tools model's info does not.
    expect(embedded.routing.modelId).toBe('tiny');
    expect(embedded.routing.excluded).toEqual([
      {
        modelId: 'tools',
        reason: 'capability:embeddings',
        detail: 'declares chat, completion, tools, json-schema',
      },
    ]);
  });

  it('rejects with no-candidates (not retryable) when nothing has the capability', async () => {
    const error = await router
      .generate({
        model: 'tiny',
        prompt: 'x',
        tools: [{ type: 'function', name: 't', parameters: {} }],
      })
      .catch((caught) => caught);
    expect(error).toMatchObject({ code: 'no-candidates', isRetryable: false });
    expect(error.routing.excluded[0].reason).toBe('capability:tools');
  });
});

describe('stats and events', () => {
  it('tracks in-flight, TTFT and tokens/s percentiles, and usage per model', async () => {
    const router = createRouter({
      models: [
        {
          id: 'm',
          model: createMockModel({
            ...reply('0123456789'),
            latency: { firstTokenMs: 5, tokenMs: 1 },
          }),
        },
      ],
    });
    const { stream } = await router.stream({ model: 'm', prompt: 'x' });
    expect(router.stats().models.m!.inFlight).toBe(1);
    await readAll(stream);
    await router.generate({ model: 'm', prompt: 'x' });
    const stats = router.stats().models.m!;
    expect(stats).toMatchObject({
      inFlight: 0,
      requests: 2,
      successes: 2,
      errors: 0,
      errorRate: 0,
      outputTokens: 20,
    });
    expect(stats.ttftMs.count).toBe(2);
    expect(stats.ttftMs.p50).toBeGreaterThanOrEqual(4);
    expect(stats.tokensPerSecond.p50).toBeGreaterThan(0);
  });

  it('a cancelled stream releases its model and does not count as a failure', async () => {
    const router = createRouter({
      models: [{ id: 'm', model: createMockModel({ latency: { tokenMs: 1 } }) }],
    });
    const { stream, done } = await router.stream({ model: 'm', prompt: 'x', maxTokens: 1000 });
    const reader = stream.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    const final = await done;
    expect(isAbortError(final.error)).toBe(true);
    expect(router.stats().models.m).toMatchObject({
      inFlight: 0,
      errors: 0,
      circuit: { state: 'closed', consecutiveFailures: 0 },
    });
  });
});

describe('health checks', () => {
  it('probes loaded models periodically and feeds the circuit breaker', async () => {
    const clock = createManualClock();
    const reports: boolean[] = [];
    const model = createTestModel({
      ...reply('ok'),
      errors: [new Error('down'), new Error('down')],
    });
    const router = createRouter({
      clock,
      models: [{ id: 'm', model }],
      healthCheck: { intervalMs: 1_000 },
      circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
      onEvent: (event) => event.type === 'health-check' && reports.push(event.healthy),
    });
    await clock.advance(1_000);
    await clock.advance(1_000);
    expect(reports).toEqual([false, false]);
    expect(router.stats().models.m!.circuit.state).toBe('open');
    await clock.advance(1_000);
    expect(reports).toEqual([false, false, true]);
    expect(router.stats().models.m!.circuit.state).toBe('closed');
    await router.dispose();
    expect(clock.pending).toBe(0);
  });
});
