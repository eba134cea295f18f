import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it, vi } from 'vitest';
import { readAll, textOf } from '../__fixtures__/test-models';
import { createManualClock } from '../clock';
import type { RouterEvent } from '../events';
import { createRouter } from '../router';

describe('self-healing monitor', () => {
  it('stops a wedged stream, routes around the model, reloads it with backoff and reports the recovery', async () => {
    const clock = createManualClock();
    const events: RouterEvent[] = [];
    let loads = 0;
    const router = createRouter({
      clock,
      onEvent: (event) => events.push(event),
      models: [
        {
          id: 'wedged',
          // The first load hangs after its first token, the reload fails its probe,
          // the third load is healthy: two reload attempts, with backoff between.
          model: () => {
            loads++;
            if (loads === 1) return createMockModel({ id: 'wedged', hang: 'after-first-token' });
            if (loads === 2) return createMockModel({ id: 'wedged', failFirstCalls: 1 });
            return createMockModel({ id: 'wedged', mode: 'script', replies: ['recovered'] });
          },
        },
        {
          id: 'steady',
          model: createMockModel({ id: 'steady', mode: 'script', replies: ['steady'] }),
        },
      ],
      routes: { chat: { strategy: 'fallback', fallback: ['wedged', 'steady'] } },
      selfHealing: { stallMs: 1_000, failureThreshold: 1, reloadDelayMs: 500 },
    });
    const { stream } = await router.stream({ model: 'chat', prompt: 'hello' });
    const reading = readAll(stream);
    await clock.advance(1_000);
    const parts = await reading;
    const last = parts.at(-1);
    expect(last).toMatchObject({ type: 'error', error: { code: 'stream-stalled' } });
    expect(events.find((event) => event.type === 'model-unhealthy')).toMatchObject({
      modelId: 'wedged',
      consecutiveFailures: 1,
    });
    expect(router.listModels().find((model) => model.id === 'wedged')?.health).toBe('unhealthy');

    // Other requests keep being served, by the model that still works.
    const served = await router.generate({ model: 'chat', prompt: 'hi' });
    expect(served.text).toBe('steady');
    expect(served.routing.excluded).toContainEqual(
      expect.objectContaining({ modelId: 'wedged', reason: 'unhealthy' }),
    );

    // First reload after 500 ms: its probe fails, so the next waits 1,000 ms.
    await clock.advance(500);
    await vi.waitFor(() => expect(loads).toBe(2));
    await vi.waitFor(() => expect(router.stats().models.wedged?.health?.state).toBe('unhealthy'));
    await clock.advance(999);
    expect(loads).toBe(2);
    await clock.advance(1);
    await vi.waitFor(() =>
      expect(events.find((event) => event.type === 'model-recovered')).toMatchObject({
        modelId: 'wedged',
        reloads: 2,
      }),
    );
    expect(events.filter((event) => event.type === 'model-reload')).toHaveLength(2);
    expect(router.stats().models.wedged?.health).toMatchObject({ state: 'healthy', recoveries: 1 });
    const back = await router.stream({ model: 'chat', prompt: 'again' });
    expect(textOf(await readAll(back.stream))).toBe('recovered');
    await router.dispose();
  });

  it('needs failureThreshold failures in a row; a success resets the count; refusals do not count', async () => {
    const router = createRouter({
      models: [
        { id: 'flaky', model: createMockModel({ id: 'flaky', mode: 'echo', failFirstCalls: 1 }) },
      ],
      selfHealing: { failureThreshold: 2 },
      retry: { maxRetries: 0 },
    });
    await expect(router.generate({ model: 'flaky', prompt: 'x' })).rejects.toThrow();
    expect(router.stats().models.flaky?.health).toMatchObject({
      state: 'healthy',
      consecutiveFailures: 1,
    });
    await expect(router.generate({ model: 'flaky', prompt: 'x', maxTokens: -1 })).rejects.toThrow();
    expect(router.stats().models.flaky?.health?.consecutiveFailures).toBe(1);
    expect((await router.generate({ model: 'flaky', prompt: 'ok' })).text).toBe('ok');
    expect(router.stats().models.flaky?.health).toMatchObject({
      state: 'healthy',
      consecutiveFailures: 0,
    });
    await router.dispose();
  });
});
