/**
 * Model loads stop when nobody wants them any more: when every request waiting for one
 * was cancelled, and when the router shuts down. A request that only times out leaves the
 * load running (a model slower to load than one request's deadline must still load).
 */

import type { LoaderV1, LoaderV1LoadOptions } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import type { RouterEvent } from '../events';
import { createRouter } from '../router';

/**
 * A test double of a slow loader: each load waits until the test lets it finish, or until
 * its abortSignal fires (recording why).
 */
function createGatedLoader() {
  const loads: { source: string; aborted?: unknown; finish(): void }[] = [];
  const loader: LoaderV1 = {
    specificationVersion: 'v1',
    name: 'gated',
    async canLoad(source) {
      return source.startsWith('gated:') ? 1 : 0;
    },
    doLoad(source: string, options: LoaderV1LoadOptions = {}) {
      return new Promise((resolve, reject) => {
        const load: (typeof loads)[number] = {
          source,
          finish: () => resolve(createMockModel({ mode: 'echo', id: source })),
        };
        loads.push(load);
        const signal = options.abortSignal;
        if (!signal) return reject(new Error('doLoad got no abortSignal'));
        signal.addEventListener('abort', () => {
          load.aborted = signal.reason;
          reject(signal.reason);
        });
      });
    },
  };
  return { loader, loads };
}

async function until(predicate: () => boolean) {
  for (let index = 0; index < 500 && !predicate(); index++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(predicate()).toBe(true);
}

describe('abortable model loads', () => {
  it('stops a load when the one request waiting for it is cancelled', async () => {
    const { loader, loads } = createGatedLoader();
    const events: RouterEvent[] = [];
    const router = createRouter({
      loaders: [loader],
      models: [{ id: 'big', source: 'gated:big' }],
      onEvent: (event) => events.push(event),
    });
    const request = new AbortController();
    const pending = router.generate({ model: 'big', prompt: 'x', abortSignal: request.signal });
    await until(() => loads.length === 1);
    request.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await until(() => loads[0]!.aborted !== undefined);
    expect(loads[0]!.aborted).toMatchObject({
      name: 'AbortError',
      message: expect.stringMatching(/Every request waiting for "big" was cancelled/),
    });
    await until(() => events.some((event) => event.type === 'model-load-error'));
    // The next request starts a fresh load, and gets the model.
    const next = router.generate({ model: 'big', prompt: 'again' });
    await until(() => loads.length === 2);
    loads[1]!.finish();
    expect((await next).text).toBe('again');
    await router.dispose();
  });

  it('keeps loading while another request still waits', async () => {
    const { loader, loads } = createGatedLoader();
    const router = createRouter({
      loaders: [loader],
      models: [{ id: 'big', source: 'gated:big' }],
    });
    const leaving = new AbortController();
    const first = router.generate({ model: 'big', prompt: 'gone', abortSignal: leaving.signal });
    const second = router.generate({ model: 'big', prompt: 'stays' });
    await until(() => loads.length === 1);
    leaving.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    expect(loads[0]!.aborted).toBeUndefined();
    loads[0]!.finish();
    expect((await second).text).toBe('stays');
    expect(loads).toHaveLength(1);
    await router.dispose();
  });

  it('keeps loading when a request only times out', async () => {
    const { loader, loads } = createGatedLoader();
    const router = createRouter({
      loaders: [loader],
      models: [{ id: 'big', source: 'gated:big' }],
      timeouts: { totalMs: 50 },
      retry: { maxRetries: 0 },
    });
    await expect(router.generate({ model: 'big', prompt: 'x' })).rejects.toThrow(
      /ran past its total timeout/,
    );
    expect(loads[0]!.aborted).toBeUndefined();
    loads[0]!.finish();
    await until(() => router.listModels().some((listing) => listing.loaded === true));
    await router.dispose();
  });

  it('stops a load in progress when the router shuts down, promptly', async () => {
    const { loader, loads } = createGatedLoader();
    const router = createRouter({
      loaders: [loader],
      models: [{ id: 'big', source: 'gated:big' }],
    });
    const pending = router.generate({ model: 'big', prompt: 'x' });
    pending.catch(() => {});
    await until(() => loads.length === 1);
    // The load would never finish by itself: dispose returns only because it stops it.
    await router.dispose();
    expect(loads[0]!.aborted).toMatchObject({
      name: 'AbortError',
      message: expect.stringMatching(/shutting down; loading "big" was stopped/),
    });
    await expect(pending).rejects.toThrow();
  });
});
