/**
 * The ONNX target: a safetensors-only Hugging Face directory (and a PyTorch one) loaded with
 * `target: 'onnx'` (or an engine name) is converted once into an ONNX model directory in the
 * cache, which the registry's ONNX loader runs on real ONNX Runtime (@llmr/engine-node) with the
 * float64 reference's greedy tokens; the second load reuses the directory, and an interrupted
 * conversion leaves nothing.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, InvalidArgumentError, LlmrError } from '@llmr/core';
import { nodeEngine } from '@llmr/engine-node';
import { copyModelJson, createTinyModel, referenceGreedy } from '@llmr/fixtures';
import { exportLlama2c } from '@llmr/llama2c/testing';
import { createOnnxLoader } from '@llmr/loader-onnx';
import { torchSave } from '@llmr/pytorch/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createConvertLoader } from './convert-loader';

const dir = await mkdtemp(join(tmpdir(), 'llmr-loader-convert-onnx-'));
const cacheDir = join(dir, 'cache');
afterAll(() => rm(dir, { recursive: true, force: true }));

const fixture = await createTinyModel({
  dir: join(dir, 'safetensors'),
  kind: 'random',
  seed: 11,
  contextLength: 256,
});

const registry = createRegistry();
const loader = createConvertLoader({ registry, defaults: { cacheDir } });
registry.registerLoader(loader).registerLoader(createOnnxLoader({ engine: nodeEngine }));

const prompt = 'The router sent';
const expected = referenceGreedy(
  fixture.config,
  fixture.weights,
  [fixture.config.bosTokenId, ...fixture.encode(prompt)],
  8,
);

/** The cache's entries other than remembered hashes: conversions and any leftovers. */
async function cacheEntries(root: string): Promise<string[]> {
  const names = await readdir(join(root, 'converted')).catch(() => []);
  return names.filter((name) => name !== 'hashes').sort();
}

async function loadAndGenerate(options: Record<string, unknown>, source = fixture.dir) {
  const stages: string[] = [];
  const model = await registry.load(source, {
    ...options,
    onProgress: ({ stage }) => stages.push(stage ?? ''),
  });
  try {
    expect(model.resolution.loader.name).toBe('convert');
    expect(model.info.format).toBe('onnx');
    const result = await model.doGenerate({ prompt, maxTokens: 8, temperature: 0 });
    return { tokens: result.tokens, stages };
  } finally {
    await model.dispose();
  }
}

describe('the ONNX target', () => {
  it('converts once into an ONNX directory that ONNX Runtime runs with the reference tokens', async () => {
    const before = await loader.locate(fixture.dir, { target: 'onnx' });
    expect(before).toMatchObject({ cached: false, target: 'onnx' });
    expect(before.path).toBe(join(cacheDir, 'converted', before.key));

    const first = await loadAndGenerate({ target: 'onnx' });
    expect(first.tokens).toEqual(expected);
    expect(first.stages).toContain('convert');
    const after = await loader.locate(fixture.dir, { target: 'onnx' });
    expect(after).toEqual({ ...before, cached: true });
    const modified = (await stat(join(after.path, 'onnx', 'model.onnx'))).mtimeMs;
    expect(await readdir(after.path)).toEqual(expect.arrayContaining(['config.json', 'onnx']));

    // Naming an engine asks for the same ONNX conversion, which is reused: nothing converts.
    const second = await loadAndGenerate({ engineName: 'node' });
    expect(second.tokens).toEqual(expected);
    expect(second.stages).not.toContain('convert');
    expect((await stat(join(after.path, 'onnx', 'model.onnx'))).mtimeMs).toBe(modified);
    expect(await cacheEntries(cacheDir)).toEqual([before.key]);
  }, 120_000);

  it('a PyTorch directory (zip serialization) converts to ONNX as well', async () => {
    const pytorch = await copyModelJson(fixture.dir, join(dir, 'pytorch'));
    await torchSave(fixture.weights, join(pytorch, 'pytorch_model.bin'));
    const { tokens, stages } = await loadAndGenerate({ target: 'onnx' }, pytorch);
    expect(tokens).toEqual(expected);
    expect(stages).toContain('convert');
  }, 120_000);

  it('keys the target and dtype apart; GGUF stays the default', async () => {
    const [gguf, onnx, onnxF16] = await Promise.all([
      loader.locate(fixture.dir),
      loader.locate(fixture.dir, { target: 'onnx' }),
      loader.locate(fixture.dir, { target: 'onnx', dtype: 'f16' }),
    ]);
    expect(gguf.target).toBe('gguf');
    expect(gguf.path.endsWith('model.gguf')).toBe(true);
    expect(new Set([gguf.key, onnx.key, onnxF16.key]).size).toBe(3);
  });

  it('an interrupted conversion leaves no half directory in place', async () => {
    const emptyCache = join(dir, 'interrupted-cache');
    const controller = new AbortController();
    const failure = await loader
      .convert(fixture.dir, {
        cacheDir: emptyCache,
        target: 'onnx',
        abortSignal: controller.signal,
        onProgress: ({ stage }) => {
          if (stage === 'convert') controller.abort();
        },
      })
      .catch((error: unknown) => error);
    expect(LlmrError.isInstance(failure)).toBe(true);
    expect(await cacheEntries(emptyCache)).toEqual([]);
    expect(
      (await loader.locate(fixture.dir, { cacheDir: emptyCache, target: 'onnx' })).cached,
    ).toBe(false);
  }, 120_000);

  it('says what is wrong: a GGUF dtype, a llama2.c file, an unknown target, no ONNX loader', async () => {
    const dtype = await loader
      .locate(fixture.dir, { target: 'onnx', dtype: 'q4_0' })
      .catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(dtype)).toBe(true);
    expect((dtype as Error).message).toMatch(/f32, f16, q8, q4 for the onnx target/);

    const llama2c = join(dir, 'stories.bin');
    await exportLlama2c(
      fixture.weights,
      fixture.files['config.json'] as Record<string, unknown>,
      llama2c,
      1,
    );
    const notHf = await loader
      .locate(llama2c, { target: 'onnx', tokenizer: join(fixture.dir, 'tokenizer.json') })
      .catch((error: unknown) => error);
    expect((notHf as LlmrError).code).toBe('convert-onnx-needs-hf-directory');

    const target = await loader
      .locate(fixture.dir, { target: 'tflite' as never })
      .catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(target)).toBe(true);

    const onlyConvert = createRegistry();
    onlyConvert.registerLoader(
      createConvertLoader({ registry: onlyConvert, defaults: { cacheDir } }),
    );
    const noOnnx = await onlyConvert
      .load(fixture.dir, { target: 'onnx' })
      .catch((error: unknown) => error);
    expect((noOnnx as LlmrError).code).toBe('convert-no-onnx-loader');
    expect((noOnnx as Error).message).toContain('@llmr/loader-onnx');
  }, 120_000);
});
