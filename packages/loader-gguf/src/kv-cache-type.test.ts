import { generate } from '@llmr/core';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyGgufDirectory } from './__fixtures__/tiny-gguf';
import { createGgufLoader } from './index';

const files = await tinyGgufDirectory();
// llama.cpp quantizes the KV cache in blocks of 32 along the head: heads of 64 values.
const tiny = await files.write('random', 'f32', 3, { hidden: 128, heads: 2 });
afterAll(() => files.remove());

const loader = createGgufLoader({ defaults: { contextLength: 512, sequences: 1 } });
const prompt = 'The quick brown fox jumps over the lazy dog and';

async function run(kvCacheType: 'f16' | 'q8_0' | 'q4_0') {
  const model = (await loader.doLoad(tiny.path, { kvCacheType })) as Awaited<
    ReturnType<typeof loader.doLoad>
  > & { stats: { kvCacheBytes: number } };
  const result = await generate(model, { prompt, maxTokens: 32, temperature: 0 });
  const bytes = model.stats.kvCacheBytes;
  await model.dispose();
  return { tokens: result.tokens ?? [], bytes };
}

describe('quantized KV cache', () => {
  it('shrinks the KV cache and keeps greedy output close to f16', async () => {
    const f16 = await run('f16');
    const q8 = await run('q8_0');
    const q4 = await run('q4_0');
    const agreement = (tokens: number[]) =>
      tokens.filter((token, index) => token === f16.tokens[index]).length / f16.tokens.length;
    expect(f16.tokens).toHaveLength(32);
    expect(q8.bytes).toBeLessThan(f16.bytes);
    expect(q4.bytes).toBeLessThan(q8.bytes);
    expect(agreement(q8.tokens)).toBeGreaterThanOrEqual(0.5);
  });

  it('refuses an unknown type before loading', async () => {
    await expect(loader.doLoad(tiny.path, { kvCacheType: 'q2_k' as 'q8_0' })).rejects.toMatchObject(
      { code: 'invalid-argument', argument: 'kvCacheType' },
    );
  });
});
