import { afterAll, describe, expect, it } from 'vitest';
import { tinyGgufDirectory } from './__fixtures__/tiny-gguf';
import { createGgufLoader } from './index';

const files = await tinyGgufDirectory();
const tiny = await files.write('random', 'f32', 3);
afterAll(() => files.remove());

const loader = createGgufLoader({ defaults: { contextLength: 512, gpu: false } });

describe('resident memory reported by llama.cpp', () => {
  it('reports weights and contexts, and counts a context when one is created', async () => {
    const model = await loader.doLoad(tiny.path, { sequences: 1 });
    try {
      const loaded = model.resources();
      expect(loaded.weights).toBeGreaterThan(0);
      expect(loaded.contexts).toBeGreaterThan(0);
      expect(loaded.total).toBe(loaded.weights + loaded.contexts);
      expect(loaded.gpu).toBe(0);
      // F32 weights: llama.cpp holds about the tensor data of the file, not an estimate from
      // the parameter count.
      expect(loaded.weights).toBeGreaterThan(model.info.parameterCount! * 4 * 0.9);
      expect(loaded.weights).toBeLessThan(model.info.parameterCount! * 4 * 1.5);

      // Embeddings run on a second context, created on first use.
      await model.doEmbed!({ values: ['the router'] });
      const embedding = model.resources();
      expect(embedding.weights).toBe(loaded.weights);
      expect(embedding.contexts).toBeGreaterThan(loaded.contexts);
      expect(embedding.total).toBe(embedding.weights + embedding.contexts);
    } finally {
      await model.dispose();
    }
  }, 60_000);

  it('grows with the KV cache a load asks for', async () => {
    const one = await loader.doLoad(tiny.path, { sequences: 1 });
    const four = await loader.doLoad(tiny.path, { sequences: 4 });
    try {
      expect(four.resources().weights).toBe(one.resources().weights);
      expect(four.resources().contexts).toBeGreaterThan(one.resources().contexts);
    } finally {
      await one.dispose();
      await four.dispose();
    }
  }, 60_000);
});
