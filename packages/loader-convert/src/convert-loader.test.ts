/**
 * `registry.load(source)` on sources that need converting — a safetensors-only directory,
 * PyTorch directories in both serializations (written by real torch.save), llama2.c v0 and v1
 * files (written by llama2.c's export functions) — runs on real llama.cpp and generates the
 * float64 reference's greedy tokens. Conversions are cached by content and reused.
 */
import { copyFile, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, LlmrError, ParseError } from '@llmr/core';
import { testLoader } from '@llmr/core/test';
import { copyModelJson, createTinyModel, referenceGreedy } from '@llmr/fixtures';
import { openLlama2c } from '@llmr/llama2c';
import { exportLlama2c } from '@llmr/llama2c/testing';
import { createGgufLoader } from '@llmr/loader-gguf';
import { torchSave } from '@llmr/pytorch/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createConvertLoader } from './convert-loader';

const dir = await mkdtemp(join(tmpdir(), 'llmr-loader-convert-'));
const cacheDir = join(dir, 'cache');
afterAll(() => rm(dir, { recursive: true, force: true }));

const fixture = await createTinyModel({
  dir: join(dir, 'safetensors'),
  kind: 'random',
  seed: 7,
  contextLength: 256,
});
const withJson = (target: string) => copyModelJson(fixture.dir, target);

const sources: Record<string, string> = { 'safetensors directory': fixture.dir };
for (const legacy of [false, true]) {
  const target = await withJson(join(dir, `pytorch-${legacy ? 'legacy' : 'zip'}`));
  await torchSave(fixture.weights, join(target, 'pytorch_model.bin'), { legacy });
  sources[`PyTorch directory (${legacy ? 'legacy' : 'zip'} serialization)`] = target;
}
for (const version of [0, 1] as const) {
  const target = await withJson(join(dir, `llama2c-v${version}`));
  const file = join(target, `stories-v${version}.bin`);
  await exportLlama2c(
    fixture.weights,
    fixture.files['config.json'] as Record<string, unknown>,
    file,
    version,
  );
  sources[`llama2.c v${version} file`] = file;
}
// v2 stores Q8_0 groups: its reference runs on the dequantized weights the file really holds.
const v2 = join(await withJson(join(dir, 'llama2c-v2')), 'stories-v2.bin');
await exportLlama2c(
  fixture.weights,
  fixture.files['config.json'] as Record<string, unknown>,
  v2,
  2,
);
const v2Weights: typeof fixture.weights = new Map();
{
  const checkpoint = await openLlama2c(v2);
  for (const name of checkpoint.names)
    v2Weights.set(name, {
      shape: [...checkpoint.shape(name)],
      data: await checkpoint.readFloat32(name),
    });
  await checkpoint.close();
}
const broken = await withJson(join(dir, 'broken-pytorch'));
await writeFile(join(broken, 'pytorch_model.bin'), 'PK\u0003\u0004 this is no zip archive');

const gguf = createGgufLoader({ defaults: { contextLength: 256, sequences: 1 } });
const registry = createRegistry();
const loader = createConvertLoader({ registry, defaults: { cacheDir, dtype: 'f32' } });
registry.registerLoader(loader).registerLoader(gguf);

const prompt = 'The router sent';
const expected = referenceGreedy(
  fixture.config,
  fixture.weights,
  [fixture.config.bosTokenId, ...fixture.encode(prompt)],
  8,
);

testLoader({
  loader,
  sources: [sources['PyTorch directory (zip serialization)']!],
  foreignSources: [
    'mock:random',
    'hf:org/repo',
    join(dir, 'missing'),
    join(fixture.dir, 'model.safetensors'),
  ],
  brokenSources: [broken],
  timeout: 120_000,
});

describe('registry.load on sources that need converting', () => {
  for (const [name, source] of Object.entries(sources)) {
    it(`${name}: llama.cpp generates the float64 reference greedy tokens`, async () => {
      const stages = new Set<string>();
      const model = await registry.load(source, {
        onProgress: ({ stage }) => {
          if (stage) stages.add(stage);
        },
      });
      try {
        expect(model.resolution.loader.name).toBe('convert');
        expect(model.info.format).toBe('gguf');
        const result = await model.doGenerate({ prompt, maxTokens: 8, temperature: 0 });
        expect(result.tokens).toEqual(expected);
        expect(stages.has('hash')).toBe(true);
      } finally {
        await model.dispose();
      }
    }, 120_000);
  }

  it('llama2.c v2 file (Q8_0): llama.cpp generates the reference greedy tokens of its weights', async () => {
    const model = await registry.load(v2);
    try {
      const result = await model.doGenerate({ prompt, maxTokens: 8, temperature: 0 });
      const quantized = referenceGreedy(
        fixture.config,
        v2Weights,
        [fixture.config.bosTokenId, ...fixture.encode(prompt)],
        8,
      );
      expect(result.tokens).toEqual(quantized);
    } finally {
      await model.dispose();
    }
  }, 120_000);

  it('keeps each K-quant dtype apart in the cache, and refuses an unknown one', async () => {
    const source = sources['PyTorch directory (zip serialization)']!;
    const dtypes = ['f16', 'q4_k', 'q5_k', 'q6_k', 'q4_k_m', 'q5_k_m'] as const;
    const located = await Promise.all(
      dtypes.map((dtype) => loader.locate(source, { cacheDir, dtype })),
    );
    expect(new Set(located.map((entry) => entry.key)).size).toBe(dtypes.length);
    await expect(loader.locate(source, { cacheDir, dtype: 'q4_k_s' as never })).rejects.toThrow(
      /dtype must be one of .*q4_k_m/,
    );
  });

  it('reuses the cached GGUF for the same contents, and converts again when a file changes', async () => {
    const source = sources['PyTorch directory (zip serialization)']!;
    // locate names the artefact before and after conversion, writing nothing itself.
    const emptyCache = join(dir, 'empty-cache');
    expect((await loader.locate(source, { cacheDir: emptyCache })).cached).toBe(false);
    expect(await stat(emptyCache).catch(() => 'absent')).toBe('absent');
    const before = await loader.locate(source, { cacheDir, dtype: 'q4_0' });
    expect(before.cached).toBe(false);
    expect(await stat(before.path).catch(() => 'absent')).toBe('absent');
    const made = await loader.convert(source, { cacheDir, dtype: 'q4_0' });
    expect(made).toEqual({ ...before, cached: false });
    expect(await loader.locate(source, { cacheDir, dtype: 'q4_0' })).toEqual({
      ...before,
      cached: true,
    });
    const first = await loader.convert(source, { cacheDir });
    expect(first.path.startsWith(join(cacheDir, 'converted'))).toBe(true);
    const again = await loader.convert(source, { cacheDir });
    expect(again).toEqual({ ...first, cached: true });
    const modified = (await stat(again.path)).mtimeMs;
    // Same bytes elsewhere: the same conversion (content-addressed, not path-addressed).
    const copy = await withJson(join(dir, 'pytorch-copy'));
    await copyFile(join(source, 'pytorch_model.bin'), join(copy, 'pytorch_model.bin'));
    const fromCopy = await loader.convert(copy, { cacheDir });
    expect(fromCopy).toEqual({ ...first, cached: true });
    expect((await stat(fromCopy.path)).mtimeMs).toBe(modified);
    // A changed file (new mtime and contents) gets its own conversion.
    await writeFile(join(copy, 'generation_config.json'), '{"do_sample": false}');
    await utimes(join(copy, 'generation_config.json'), new Date(), new Date(Date.now() + 5000));
    const changed = await loader.convert(copy, { cacheDir });
    expect(changed.key).not.toBe(first.key);
    expect(changed.cached).toBe(false);
  }, 120_000);

  it('a different dtype is a different conversion; progress reports the conversion', async () => {
    const stages: string[] = [];
    const converted = await loader.convert(fixture.dir, {
      cacheDir,
      dtype: 'q8_0',
      onProgress: ({ stage }) => stages.push(stage ?? ''),
    });
    expect(converted.cached).toBe(false);
    expect(stages).toContain('convert');
  });

  it('says what is missing: no registry, no GGUF loader, a broken checkpoint', async () => {
    const bare = createConvertLoader({ defaults: { cacheDir } });
    const noRegistry = await bare.doLoad(fixture.dir).catch((error) => error);
    expect(LlmrError.isInstance(noRegistry) && noRegistry.code).toBe('convert-no-registry');
    const onlyConvert = createRegistry();
    onlyConvert.registerLoader(
      createConvertLoader({ registry: onlyConvert, defaults: { cacheDir } }),
    );
    const noGguf = await onlyConvert.load(fixture.dir).catch((error) => error);
    expect(noGguf.code).toBe('convert-no-gguf-loader');
    expect(noGguf.message).toContain('@llmr/loader-gguf');
    const corrupt = await registry.load(broken).catch((error) => error);
    expect(ParseError.isInstance(corrupt)).toBe(true);
  });
});
