import { describe, expect, it } from 'vitest';
import type { EngineV1 } from '../engine/v1/engine-v1';
import { InvalidArgumentError, NoSuchLoaderError } from '../errors/errors';
import type { LoaderV1 } from '../loader/v1/loader-v1';
import { createRegistry } from './create-registry';

function loader(name: string, confidence: (source: string) => number | Promise<number>): LoaderV1 {
  return {
    specificationVersion: 'v1',
    name,
    canLoad: async (source) => confidence(source),
    doLoad: async () => {
      throw new Error(`${name} cannot really load`);
    },
  };
}

function engine(name: string, device: 'cpu' | 'gpu', available: boolean): EngineV1 {
  return {
    specificationVersion: 'v1',
    name,
    capabilities: { device, dtypes: ['float32'] },
    isAvailable: async () => available,
    createSession: async () => {
      throw new Error('not needed');
    },
  };
}

describe('createRegistry', () => {
  it('picks the loader with the highest confidence and explains why', async () => {
    const registry = createRegistry({
      loaders: [loader('gguf', (s) => (s.endsWith('.gguf') ? 0.9 : 0)), loader('any', () => 0.1)],
    });
    const resolution = await registry.resolveLoader('model.gguf');
    expect(resolution.loader.name).toBe('gguf');
    expect(resolution.candidates.map((c) => c.loader)).toEqual(['gguf', 'any']);
    expect(resolution.explanation).toContain('gguf (confidence 0.90');
    expect(resolution.explanation).toContain('also asked: any 0.10');
  });

  it('breaks ties by registration order and treats a throwing canLoad as 0', async () => {
    const registry = createRegistry({
      loaders: [
        loader('broken', () => {
          throw new Error('boom');
        }),
        loader('first', () => 0.5),
        loader('second', () => 0.5),
      ],
    });
    const resolution = await registry.resolveLoader('x');
    expect(resolution.loader.name).toBe('first');
    expect(resolution.candidates.find((c) => c.loader === 'broken')).toMatchObject({
      confidence: 0,
      error: 'boom',
    });
  });

  it('clamps out-of-range confidences', async () => {
    const registry = createRegistry({
      loaders: [loader('wild', () => 7), loader('nan', () => Number.NaN)],
    });
    const resolution = await registry.resolveLoader('x');
    expect(resolution.confidence).toBe(1);
    expect(resolution.candidates[1]!.confidence).toBe(0);
  });

  it('fails with NoSuchLoaderError naming who declined', async () => {
    const registry = createRegistry({ loaders: [loader('gguf', () => 0)] });
    const error = await registry.resolveLoader('model.bin').catch((caught) => caught);
    expect(NoSuchLoaderError.isInstance(error)).toBe(true);
    expect(error.message).toContain('gguf');
    const empty = await createRegistry()
      .resolveLoader('x')
      .catch((caught) => caught);
    expect(empty.message).toMatch(/No loaders are registered/);
  });

  it('rejects bad plugins, duplicate names and empty sources', async () => {
    const registry = createRegistry();
    expect(() => registry.registerLoader({ name: 'x' } as unknown as LoaderV1)).toThrow(
      InvalidArgumentError,
    );
    registry.registerLoader(loader('a', () => 1));
    expect(() => registry.registerLoader(loader('a', () => 1))).toThrow(/already registered/);
    await expect(registry.resolveLoader('')).rejects.toThrow(/non-empty string/);
  });

  it('selects an available GPU engine before a CPU one, honouring a preference', async () => {
    const registry = createRegistry({
      engines: [
        engine('cpu-engine', 'cpu', true),
        engine('gpu-missing', 'gpu', false),
        engine('gpu-engine', 'gpu', true),
      ],
    });
    const best = await registry.selectEngine();
    expect(best.engine.name).toBe('gpu-engine');
    expect(best.explanation).toContain('unavailable here: gpu-missing');
    expect((await registry.selectEngine({ prefer: 'cpu-engine' })).engine.name).toBe('cpu-engine');
    await expect(
      createRegistry({ engines: [engine('x', 'cpu', false)] }).selectEngine(),
    ).rejects.toThrow(/No registered engine is available/);
  });
});
