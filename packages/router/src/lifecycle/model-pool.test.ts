import { createMockLoader, createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createTestModel, readAll } from '../__fixtures__/test-models';
import { createManualClock } from '../clock';
import type { RouterEvent } from '../events';
import { createRouter } from '../router';
import { estimateModelMemory, parseMemorySize } from './memory-size';

function lifecycleRouter(settings: Parameters<typeof createRouter>[0] = {}) {
  const clock = createManualClock();
  const events: RouterEvent[] = [];
  const router = createRouter({
    clock,
    loaders: [createMockLoader()],
    models: ['a', 'b', 'c'].map((id) => ({ id, source: `mock:script?reply=${id}` })),
    onEvent: (event) => events.push(event),
    ...settings,
  });
  const unloads = () =>
    events.flatMap((event) =>
      event.type === 'model-unload' ? [`${event.modelId}:${event.reason}`] : [],
    );
  const loads = () =>
    events.flatMap((event) => (event.type === 'model-load' ? [event.modelId] : []));
  return { clock, router, unloads, loads };
}

describe('model lifecycle', () => {
  it('loads lazily on first use, once, even for concurrent requests', async () => {
    const { router, loads } = lifecycleRouter();
    expect(router.stats().models.a!.loaded).toBe(false);
    await Promise.all([
      router.generate({ model: 'a', prompt: 'x' }),
      router.generate({ model: 'a', prompt: 'y' }),
    ]);
    expect(loads()).toEqual(['a']);
    expect(router.stats().models.a!.loaded).toBe(true);
    await router.dispose();
  });

  it('unloads an idle model after its keep-alive, and never while in use', async () => {
    const { clock, router, unloads } = lifecycleRouter({
      lifecycle: { keepAliveMs: 1_000 },
      models: [
        { id: 'a', source: 'mock:script?reply=abc' },
        { id: 'b', source: 'mock:script?reply=b', keepAliveMs: 'forever' },
      ],
    });
    await router.generate({ model: 'a', prompt: 'x' });
    await router.generate({ model: 'b', prompt: 'x' });
    await clock.advance(999);
    expect(unloads()).toEqual([]);
    // A new request resets the idle timer.
    const { stream } = await router.stream({ model: 'a', prompt: 'x' });
    await clock.advance(5_000);
    expect(unloads()).toEqual([]);
    await readAll(stream);
    await clock.advance(1_000);
    expect(unloads()).toEqual(['a:idle']);
    expect(router.stats().models).toMatchObject({ a: { loaded: false }, b: { loaded: true } });
    // And it loads again on the next use.
    expect((await router.generate({ model: 'a', prompt: 'x' })).text).toBe('abc');
    await router.dispose();
  });

  it('keeps at most maxLoadedModels, unloading the least recently used idle one', async () => {
    const { clock, router, unloads } = lifecycleRouter({ lifecycle: { maxLoadedModels: 2 } });
    await router.generate({ model: 'a', prompt: 'x' });
    await clock.advance(1);
    await router.generate({ model: 'b', prompt: 'x' });
    await clock.advance(1);
    await router.generate({ model: 'a', prompt: 'x' }); // a is now more recent than b
    await clock.advance(1);
    await router.generate({ model: 'c', prompt: 'x' });
    expect(unloads()).toEqual(['b:lru']);
    expect(router.stats().loadedModels).toBe(2);
    await router.dispose();
  });

  it('refuses to evict a busy model: the request falls back instead', async () => {
    const { router } = lifecycleRouter({
      lifecycle: { maxLoadedModels: 1 },
      models: [
        { id: 'busy', source: 'mock:random?tokenMs=5' },
        { id: 'other', source: 'mock:script?reply=other' },
        { id: 'remote', model: createMockModel({ mode: 'script', replies: ['remote'] }) },
      ],
      routes: { r: { fallback: ['other', 'remote'] } },
      retry: { maxRetries: 0 },
    });
    const { stream } = await router.stream({ model: 'busy', prompt: 'x', maxTokens: 3 });
    const result = await router.generate({ model: 'r', prompt: 'x' });
    expect(result.text).toBe('remote');
    expect(result.routing.attempts[0]!.error).toMatchObject({
      code: 'model-capacity',
      isRetryable: true,
    });
    await readAll(stream);
    await router.dispose();
  });

  it('keeps loaded models within a memory budget', async () => {
    const { router, unloads } = lifecycleRouter({
      lifecycle: { maxMemory: '3GB' },
      models: [
        { id: 'a', source: 'mock:script?reply=a', memory: '2GB' },
        { id: 'b', source: 'mock:script?reply=b', memory: 2e9 },
        { id: 'c', source: 'mock:script?reply=c', memory: '500MB' },
      ],
    });
    await router.generate({ model: 'a', prompt: 'x' });
    await router.generate({ model: 'c', prompt: 'x' });
    expect(router.stats().memoryBytes).toBe(2.5e9);
    await router.generate({ model: 'b', prompt: 'x' });
    expect(unloads()).toEqual(['a:memory']);
    expect(router.stats().memoryBytes).toBe(2.5e9);
    await router.dispose();
  });

  it('counts the memory a runtime reports for a model instead of the estimate', async () => {
    // Mock models standing in for a runtime that reports its own resident memory (as
    // loader-gguf's do, from llama.cpp): the figure changes while the model is loaded.
    const resident: Record<string, number> = { a: 2e9, b: 1.5e9 };
    const reporting = (id: string) => async () => ({
      ...createMockModel({ id, mode: 'echo' }),
      info: { ...createMockModel({ id }).info, backend: 'cpu' },
      resources: () => ({
        total: resident[id]!,
        weights: resident[id]! - 1e6,
        contexts: 1e6,
        gpu: 0,
      }),
    });
    const { router, unloads } = lifecycleRouter({
      lifecycle: { maxMemory: '3GB' },
      models: [
        // The configured size is what counts before the load; the runtime's after it.
        { id: 'a', model: reporting('a'), memory: '100MB' },
        { id: 'b', model: reporting('b') },
      ],
    });
    await router.generate({ model: 'a', prompt: 'x' });
    expect(router.stats().memoryBytes).toBe(2e9);
    expect(router.listModels().find((listing) => listing.id === 'a')).toMatchObject({
      memoryBytes: 2e9,
      memorySource: 'runtime',
      backend: 'cpu',
    });
    resident.a = 2.2e9; // say, a context created for embeddings
    expect(router.stats().memoryBytes).toBe(2.2e9);
    // 2.2 GB + 1.5 GB is over the 3 GB budget: `a` goes, by its real size.
    await router.generate({ model: 'b', prompt: 'x' });
    expect(unloads()).toEqual(['a:memory']);
    expect(router.stats().memoryBytes).toBe(1.5e9);
    expect(router.listModels().find((listing) => listing.id === 'a')).toMatchObject({
      loaded: false,
      memoryBytes: 1e8,
      memorySource: 'configured',
    });
    await router.dispose();
  });

  it('a reload leaves in-flight requests alone and unloads removed models when they finish', async () => {
    const { router, unloads } = lifecycleRouter({
      models: [{ id: 'old', source: 'mock:script?reply=old%20answer&tokenMs=2' }],
    });
    const { stream } = await router.stream({ model: 'old', prompt: 'x' });
    const { added, removed } = router.reload({
      models: [{ id: 'new', source: 'mock:script?reply=new' }],
    });
    expect({ added, removed }).toEqual({ added: ['new'], removed: ['old'] });
    expect(unloads()).toEqual([]);
    const parts = await readAll(stream);
    expect(parts.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('')).toBe(
      'old answer',
    );
    expect(parts.at(-1)!.type).toBe('finish');
    expect(unloads()).toEqual(['old:reload']);
    expect((await router.generate({ model: 'new', prompt: 'x' })).text).toBe('new');
    await expect(router.generate({ model: 'old', prompt: 'x' })).rejects.toMatchObject({
      code: 'model-not-found',
    });
    await router.dispose();
  });

  it('keeps a loaded model across a reload that keeps its source, and disposes what it loaded on dispose', async () => {
    const factoryModel = createTestModel({ mode: 'script', replies: ['made'] });
    const instance = createTestModel({ mode: 'script', replies: ['mine'] });
    const { router, loads } = lifecycleRouter({
      models: [
        { id: 'a', source: 'mock:script?reply=a' },
        { id: 'made', model: () => factoryModel },
        { id: 'mine', model: instance },
      ],
    });
    await router.generate({ model: 'a', prompt: 'x' });
    await router.generate({ model: 'made', prompt: 'x' });
    router.reload({
      models: [
        { id: 'a', source: 'mock:script?reply=a', quality: 0.9 },
        { id: 'made', model: router.config.models[1]!.model },
        { id: 'mine', model: instance },
      ],
    });
    await router.generate({ model: 'a', prompt: 'x' });
    expect(loads()).toEqual(['a', 'made']);
    await router.dispose();
    expect(factoryModel.disposed).toBe(true);
    // An instance handed in stays the caller's to dispose.
    expect(instance.disposed).toBe(false);
  });
});

describe('provider factories', () => {
  it("are given the upstream id and the model's providerSettings; a settings change on reload makes a new model", async () => {
    const calls: unknown[] = [];
    const made: ReturnType<typeof createTestModel>[] = [];
    const router = createRouter({
      providers: {
        upstream: (modelId, context) => {
          calls.push({ modelId, ...context });
          const model = createTestModel({
            mode: 'script',
            replies: [String(context.settings.reply)],
          });
          made.push(model);
          return model;
        },
      },
      models: [
        {
          id: 'remote',
          provider: 'upstream',
          providerModelId: 'upstream-name',
          providerSettings: { reply: 'first' },
          contextLength: 1234,
          capabilities: ['chat', 'completion'],
        },
      ],
    });
    expect((await router.generate({ model: 'remote', prompt: 'x' })).text).toBe('first');
    await router.generate({ model: 'remote', prompt: 'x' });
    expect(calls).toEqual([
      {
        modelId: 'upstream-name',
        id: 'remote',
        settings: { reply: 'first' },
        contextLength: 1234,
        capabilities: ['chat', 'completion'],
      },
    ]);
    router.reload({
      models: [
        {
          id: 'remote',
          provider: 'upstream',
          providerModelId: 'upstream-name',
          providerSettings: { reply: 'second' },
        },
      ],
    });
    expect((await router.generate({ model: 'remote', prompt: 'x' })).text).toBe('second');
    expect(calls).toHaveLength(2);
    expect(made[0]!.disposed).toBe(true);
    await router.dispose();
  });
});

describe('memory sizes', () => {
  it('parses sizes and estimates from parameters and quantization', () => {
    expect(parseMemorySize('4GB')).toBe(4e9);
    expect(parseMemorySize('512 MiB')).toBe(512 * 2 ** 20);
    expect(parseMemorySize(1234)).toBe(1234);
    expect(parseMemorySize('lots')).toBeUndefined();
    expect(estimateModelMemory({ parameterCount: 1e9, quantization: 'Q4_0' })).toBe(
      Math.round((1e9 * 4.5 * 1.1) / 8),
    );
    expect(estimateModelMemory({ parameterCount: 1e9 })).toBe(2.2e9);
    expect(estimateModelMemory({})).toBeUndefined();
  });
});
