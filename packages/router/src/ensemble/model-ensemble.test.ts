import { isAbortError } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createTestModel } from '../__fixtures__/test-models';
import { createRouter } from '../router';

const script = (text: string, extra = {}) =>
  createMockModel({ mode: 'script', replies: [text], ...extra });

describe('ModelEnsemble', () => {
  it('best-of-n keeps the answer the scorer likes best, scoring every member', async () => {
    const router = createRouter({
      models: [
        { id: 'short', model: script('ok') },
        { id: 'long', model: script('a much longer answer') },
        { id: 'mid', model: script('medium one') },
      ],
    });
    const ensemble = router.ensemble({
      mode: 'best-of-n',
      models: ['short', 'long', 'mid'],
      scorer: (result) => result.text.length,
    });
    const result = await ensemble.generate({ prompt: 'x' });
    expect(result.text).toBe('a much longer answer');
    expect(result.routing.modelId).toBe('long');
    expect(result.ensemble).toMatchObject({ mode: 'best-of-n', winner: 1 });
    expect(result.ensemble.members.map((member) => member.score)).toEqual([2, 20, 10]);
  });

  it('best-of-n samples one model n times with different seeds', async () => {
    const router = createRouter({
      models: [{ id: 'r', model: createMockModel({ mode: 'random' }) }],
    });
    const result = await router
      .ensemble({
        mode: 'best-of-n',
        models: ['r'],
        n: 4,
        scorer: (candidate) => -candidate.text.charCodeAt(0),
      })
      .generate({ prompt: 'x', maxTokens: 8, seed: 10 });
    const texts = result.ensemble.members.map((member) => member.text);
    expect(new Set(texts).size).toBeGreaterThan(1);
    expect(result.ensemble.members).toHaveLength(4);
  });

  it('majority vote picks the most common normalised answer; failed members do not vote', async () => {
    const router = createRouter({
      models: [
        { id: 'a', model: script('Paris') },
        { id: 'b', model: script('Lyon') },
        { id: 'c', model: script('  paris ') },
        { id: 'd', model: createTestModel({ failFirstCalls: 9 }) },
      ],
      retry: { maxRetries: 0 },
    });
    const result = await router
      .ensemble({ mode: 'majority-vote', models: ['b', 'a', 'c', 'd'] })
      .generate({ prompt: 'capital?' });
    expect(result.text).toBe('Paris');
    expect(result.ensemble.members.map((member) => member.votes ?? member.error?.code)).toEqual([
      1,
      2,
      2,
      'all-candidates-failed',
    ]);
  });

  it('first-to-finish returns the fastest answer and aborts the others', async () => {
    const router = createRouter({
      models: [
        { id: 'slow', model: script('slow answer', { latency: { firstTokenMs: 2_000 } }) },
        { id: 'fast', model: script('fast answer', { latency: { firstTokenMs: 5 } }) },
      ],
    });
    const started = Date.now();
    const result = await router
      .ensemble({ mode: 'first-to-finish', models: ['slow', 'fast'] })
      .generate({ prompt: 'x' });
    expect(result.text).toBe('fast answer');
    expect(result.ensemble.members[0]).toMatchObject({ model: 'slow', aborted: true });
    expect(Date.now() - started).toBeLessThan(1_500);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(router.stats().models.slow).toMatchObject({ inFlight: 0, errors: 0 });
  });

  it('fails with all-candidates-failed when every member fails, and honours the caller abort', async () => {
    const router = createRouter({
      models: [
        { id: 'x', model: createTestModel({ failFirstCalls: 9 }) },
        { id: 'h', model: createMockModel({ hang: 'before-first-token' }) },
      ],
      retry: { maxRetries: 0 },
    });
    await expect(
      router.ensemble({ mode: 'first-to-finish', models: ['x', 'x'] }).generate({ prompt: 'x' }),
    ).rejects.toMatchObject({ code: 'all-candidates-failed' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const error = await router
      .ensemble({ mode: 'first-to-finish', models: ['h', 'h'] })
      .generate({ prompt: 'x', abortSignal: controller.signal })
      .catch((caught) => caught);
    expect(isAbortError(error.cause)).toBe(true);
    expect(() => router.ensemble({ mode: 'best-of-n', models: ['x'] })).toThrow(/scorer/);
  });
});
