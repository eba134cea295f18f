// Retries, timeouts and the circuit breaker, seen through the router's public API.
import { APICallError, isAbortError } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createTestModel, readAll, textOf } from './__fixtures__/test-models';
import { createManualClock } from './clock';
import { createRouter } from './router';

const reply = (text: string) => ({ mode: 'script' as const, replies: [text] });

describe('retries', () => {
  it('retries retryable errors with exponential backoff and seeded jitter', async () => {
    const run = async () => {
      const delays: number[] = [];
      const router = createRouter({
        models: [{ id: 'm', model: createTestModel({ ...reply('ok'), failFirstCalls: 3 }) }],
        retry: { maxRetries: 3, baseDelayMs: 4, factor: 2, jitter: 'full' },
        seed: 42,
        onEvent: (event) => event.type === 'retry' && delays.push(event.delayMs),
      });
      const result = await router.generate({ model: 'm', prompt: 'x' });
      expect(result.text).toBe('ok');
      expect(result.routing.attempts.map((attempt) => attempt.outcome)).toEqual([
        'error',
        'error',
        'error',
        'success',
      ]);
      return delays;
    };
    const first = await run();
    expect(first).toHaveLength(3);
    for (const [index, delay] of first.entries()) expect(delay).toBeLessThanOrEqual(4 * 2 ** index);
    expect(await run()).toEqual(first);
  });

  it('honours Retry-After from an upstream error, and skips a retry whose wait is too long', async () => {
    const limited = () =>
      Object.assign(
        new APICallError({ url: 'http://upstream', statusCode: 429, message: 'slow down' }),
        { retryAfterMs: 30 },
      );
    const delays: number[] = [];
    const router = createRouter({
      models: [
        { id: 'remote', model: createTestModel({ ...reply('after wait'), errors: [limited()] }) },
        {
          id: 'impatient',
          model: createTestModel({
            ...reply('never'),
            errors: [Object.assign(limited(), { retryAfterMs: 60_000 })],
          }),
        },
        { id: 'spare', model: createMockModel(reply('spare')) },
      ],
      retry: { maxRetries: 2, baseDelayMs: 1, jitter: 'none', maxRetryAfterMs: 1_000 },
      onEvent: (event) => event.type === 'retry' && delays.push(event.delayMs),
    });
    const waited = await router.generate({ model: 'remote', prompt: 'x' });
    expect(waited.text).toBe('after wait');
    expect(delays).toEqual([30]);
    const error = await router
      .generate({ model: 'impatient', prompt: 'x' })
      .catch((caught) => caught);
    expect(error.attempts.map((attempt: { outcome: string }) => attempt.outcome)).toEqual([
      'error',
      'skipped',
    ]);
    expect(error.attempts[1].reason).toMatch(/Retry-After 60000 ms exceeds/);
  });
});

describe('timeouts', () => {
  it('gives up on a model with no first token within firstTokenMs and falls back', async () => {
    const router = createRouter({
      models: [
        { id: 'hangs', model: createMockModel({ ...reply('never'), hang: 'before-first-token' }) },
        { id: 'quick', model: createMockModel(reply('quick')) },
      ],
      routes: {
        r: {
          fallback: ['hangs', 'quick'],
          timeouts: { firstTokenMs: 30 },
          retry: { maxRetries: 0 },
        },
      },
    });
    const started = Date.now();
    const result = await router.generate({ model: 'r', prompt: 'x' });
    expect(result.text).toBe('quick');
    expect(result.routing.attempts[0]).toMatchObject({
      modelId: 'hangs',
      outcome: 'error',
      error: { name: 'TimeoutError', code: 'timeout' },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ends a stream that passes its total timeout with one error part', async () => {
    const router = createRouter({
      models: [
        {
          id: 'slow',
          model: createMockModel({
            ...reply('abcdefghijklmnopqrstuvwxyz0123456789'),
            latency: { tokenMs: 25 },
          }),
        },
      ],
    });
    const { stream } = await router.stream({
      model: 'slow',
      prompt: 'x',
      timeouts: { totalMs: 150 },
    });
    const parts = await readAll(stream);
    const text = textOf(parts);
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(36);
    expect(parts.at(-1)).toMatchObject({ type: 'error', error: { code: 'timeout' } });
  });

  it('a total timeout before any token rejects with code timeout', async () => {
    const router = createRouter({
      models: [{ id: 'h', model: createMockModel({ hang: 'before-first-token' }) }],
      retry: { maxRetries: 0 },
    });
    const error = await router
      .stream({ model: 'h', prompt: 'x', timeouts: { totalMs: 30 } })
      .catch((caught) => caught);
    expect(error).toMatchObject({ code: 'timeout', name: 'RouterError' });
  });

  it('the caller aborting stops everything with an abort error, not a fallback', async () => {
    const other = createTestModel(reply('other'));
    const router = createRouter({
      models: [
        { id: 'h', model: createMockModel({ hang: 'before-first-token' }) },
        { id: 'other', model: other },
      ],
      strategy: 'fallback',
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await router
      .generate({ prompt: 'x', abortSignal: controller.signal })
      .catch((caught) => caught);
    expect(isAbortError(error)).toBe(true);
    expect(other.calls).toBe(0);
    expect(router.stats().models.h!.circuit.consecutiveFailures).toBe(0);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, skips the model, half-opens after the reset time, and closes on success', async () => {
    const clock = createManualClock(1_000);
    const transitions: string[] = [];
    const flaky = createTestModel({ ...reply('flaky ok'), failFirstCalls: 2 });
    const router = createRouter({
      clock,
      models: [
        { id: 'flaky', model: flaky },
        { id: 'steady', model: createMockModel(reply('steady')) },
      ],
      strategy: 'fallback',
      retry: { maxRetries: 0 },
      circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 10_000 },
      onEvent: (event) =>
        event.type === 'circuit-state' &&
        transitions.push(`${event.modelId}:${event.from}->${event.to}`),
    });
    expect((await router.generate({ prompt: 'x' })).text).toBe('steady');
    expect((await router.generate({ prompt: 'x' })).text).toBe('steady');
    expect(transitions).toEqual(['flaky:closed->open']);
    const routing = router.route({ prompt: 'x' });
    expect(routing.excluded).toEqual([
      { modelId: 'flaky', reason: 'circuit-open', detail: 'retry at 11000' },
    ]);
    const callsWhileOpen = flaky.calls;
    await router.generate({ prompt: 'x' });
    expect(flaky.calls).toBe(callsWhileOpen);
    expect(router.stats().models.flaky!.circuit).toMatchObject({
      state: 'open',
      consecutiveFailures: 2,
    });

    await clock.advance(10_000);
    expect(router.stats().models.flaky!.circuit.state).toBe('half-open');
    const probe = await router.generate({ prompt: 'x' });
    expect(probe.text).toBe('flaky ok');
    expect(transitions).toEqual([
      'flaky:closed->open',
      'flaky:open->half-open',
      'flaky:half-open->closed',
    ]);
    await router.dispose();
  });

  it('a failed half-open probe opens the circuit again', async () => {
    const clock = createManualClock();
    const router = createRouter({
      clock,
      models: [
        { id: 'down', model: createTestModel({ failFirstCalls: 10 }) },
        { id: 'up', model: createMockModel(reply('up')) },
      ],
      strategy: 'fallback',
      retry: { maxRetries: 0 },
      circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 100 },
    });
    await router.generate({ prompt: 'x' });
    await clock.advance(100);
    await router.generate({ prompt: 'x' });
    expect(router.stats().models.down!.circuit).toMatchObject({ state: 'open', openedAt: 100 });
  });

  it('no candidates when every circuit is open: a retryable no-candidates error', async () => {
    const router = createRouter({
      clock: createManualClock(),
      models: [{ id: 'down', model: createTestModel({ failFirstCalls: 10 }) }],
      retry: { maxRetries: 0 },
      circuitBreaker: { failureThreshold: 1 },
    });
    await router.generate({ prompt: 'x' }).catch(() => {});
    const error = await router.generate({ prompt: 'x' }).catch((caught) => caught);
    expect(error).toMatchObject({ code: 'no-candidates', isRetryable: true });
  });
});
