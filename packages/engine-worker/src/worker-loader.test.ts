import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTensorSource, writeHfModelAsGguf } from '@llmr/convert';
import {
  AbortError,
  GenerationError,
  InvalidArgumentError,
  LoadError,
  type ModelV1StreamPart,
} from '@llmr/core';
import { testModel } from '@llmr/core/test';
import { buildTinyModel, referenceGreedy } from '@llmr/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForWorker } from './__fixtures__/bundle-worker';
import { createWorkerLoader, type WorkerLoaderSettings, type WorkerModel } from './index';

const dir = await mkdtemp(join(tmpdir(), 'llmr-worker-'));
const tiny = buildTinyModel({ kind: 'random', seed: 7, contextLength: 512 });
const modelPath = join(dir, 'random-f32.gguf');
await writeHfModelAsGguf(
  {
    dir: 'tiny-random',
    config: tiny.files['config.json'],
    tokenizer: tiny.files['tokenizer.json'],
    tokenizerConfig: tiny.files['tokenizer_config.json'],
    tensors: createMemoryTensorSource(tiny.weights),
  },
  { output: modelPath, dtype: 'f32' },
);
const workerScript = await bundleForWorker('../worker-main.ts', join(dir, 'worker-main.mjs'));
const loaderModule = await bundleForWorker(
  'simple-loader-module.ts',
  join(dir, 'simple-loader-module.mjs'),
);
const prompt = 'Once upon a time';
const expected = referenceGreedy(
  tiny.config,
  tiny.weights,
  [tiny.config.bosTokenId, ...tiny.encode(prompt)],
  8,
);
const models: WorkerModel[] = [];
afterAll(async () => {
  await Promise.all(models.map((model) => model.dispose()));
  await rm(dir, { recursive: true, force: true });
});

async function load(settings: Partial<WorkerLoaderSettings> = {}, source = modelPath) {
  const loader = createWorkerLoader({ loaderModule, workerScript, ...settings });
  const model = (await loader.doLoad(source, { contextLength: 512 })) as WorkerModel;
  models.push(model);
  return model;
}

async function until(condition: () => boolean) {
  for (let tries = 0; tries < 400 && !condition(); tries++)
    await new Promise((resolve) => setTimeout(resolve, 25));
  expect(condition()).toBe(true);
}

async function readParts(stream: ReadableStream<ModelV1StreamPart>, onPart?: () => void) {
  const parts: ModelV1StreamPart[] = [];
  const reader = stream.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) return parts;
    parts.push(value);
    onPart?.();
  }
}

testModel({
  name: 'runtime-simple in a worker pool',
  createModel: () =>
    createWorkerLoader({ loaderModule, workerScript, maxWorkers: 2 }).doLoad(modelPath, {
      contextLength: 512,
    }),
  prompt,
  maxTokens: 8,
});

describe('createWorkerLoader', () => {
  it('generates the float64 reference tokens off the main thread', async () => {
    const model = await load();
    expect(model.info).toMatchObject({ format: 'gguf', architecture: 'llama' });
    const result = await model.doGenerate({ prompt, maxTokens: 8, temperature: 0 });
    expect(result.tokens).toEqual(expected);
    expect(model.threadIds()).toHaveLength(1);
  });

  it('grows with queue depth up to maxWorkers and shrinks to minWorkers when idle', async () => {
    const model = await load({ minWorkers: 1, maxWorkers: 3, idleTimeoutMs: 50 });
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        model.doStream({ prompt, maxTokens: 8, temperature: 0 }).then(({ stream }) =>
          readParts(stream, () => {
            peak = Math.max(peak, model.stats().workers);
          }),
        ),
      ),
    );
    for (const parts of results)
      expect(
        parts.flatMap((part) => (part.type === 'text-delta' ? (part.tokens ?? []) : [])),
      ).toEqual(expected);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(3);
    await until(() => model.stats().workers === 1);
  });

  it('carries an abort into the worker, which then serves the next request', async () => {
    const model = await load({ maxWorkers: 1 });
    const controller = new AbortController();
    const { stream } = await model.doStream({
      prompt,
      maxTokens: 400,
      temperature: 0,
      abortSignal: controller.signal,
    });
    const error = await readParts(stream, () => controller.abort()).catch((caught) => caught);
    expect(AbortError.isInstance(error), String(error)).toBe(true);
    // The worker itself stopped: it answered the abort message with an aborted error.
    await until(() => model.stats().abortsConfirmed === 1);
    const result = await model.doGenerate({ prompt, maxTokens: 8, temperature: 0 });
    expect(result.tokens).toEqual(expected);
  });

  it('fails only the in-flight request of a worker that dies mid-stream, and replaces it', async () => {
    const model = await load({ minWorkers: 1, maxWorkers: 1 });
    const [before] = model.threadIds();
    const { stream } = await model.doStream({
      prompt: 'CRASH now',
      maxTokens: 200,
      temperature: 0,
    });
    let received = 0;
    const error = await readParts(stream, () => received++).catch((caught) => caught);
    expect(received).toBeGreaterThan(0);
    expect(GenerationError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'worker-crashed', isRetryable: true });
    expect(error.message).toContain('exit code 7');
    await until(() => model.threadIds().length === 1 && model.threadIds()[0] !== before);
    const result = await model.doGenerate({ prompt, maxTokens: 8, temperature: 0 });
    expect(result.tokens).toEqual(expected);
  });

  it('rejects with a LoadError when the worker cannot load the source', async () => {
    const error = await load({}, join(dir, 'missing.gguf')).catch((caught) => caught);
    expect(LoadError.isInstance(error)).toBe(true);
    expect(error.message).toContain('missing.gguf');
  });

  it('rejects with a LoadError, without respawning, when a worker dies while loading', async () => {
    const error = await load({}, join(dir, 'crash-on-load.gguf')).catch((caught) => caught);
    expect(LoadError.isInstance(error), String(error)).toBe(true);
    expect(error.message).toContain('exit code 9');
  });

  it('shares model bytes across workers through one SharedArrayBuffer', async () => {
    const file = await readFile(modelPath);
    const shared = new Uint8Array(new SharedArrayBuffer(file.byteLength));
    shared.set(file);
    // No file by this name: the workers can only have loaded from the shared bytes.
    const source = join(dir, 'not-on-disk.gguf');
    const loader = createWorkerLoader({ loaderModule, workerScript, minWorkers: 2, maxWorkers: 2 });
    const model = (await loader.doLoad(source, {
      contextLength: 512,
      bytes: shared,
    })) as WorkerModel;
    models.push(model);
    // Each worker confirms its bytes are SharedArrayBuffer-backed: posted, not cloned.
    await until(() => model.stats().workersOnSharedBytes === 2);
    expect(model.info.id).toBe('not-on-disk');
    const results = await Promise.all(
      [0, 1].map(() => model.doGenerate({ prompt, maxTokens: 8, temperature: 0 })),
    );
    for (const result of results) expect(result.tokens).toEqual(expected);
    expect(new Set(model.threadIds()).size).toBe(2);
  });

  it('copies plain bytes once into shared memory, leaving the given buffer as it was', async () => {
    const plain = new Uint8Array(await readFile(modelPath));
    const before = plain.byteLength;
    const loader = createWorkerLoader({ loaderModule, workerScript, minWorkers: 2, maxWorkers: 2 });
    const model = (await loader.doLoad(join(dir, 'plain.gguf'), {
      contextLength: 512,
      bytes: plain,
    })) as WorkerModel;
    models.push(model);
    await until(() => model.stats().workersOnSharedBytes === 2);
    expect(plain.byteLength).toBe(before);
    expect(plain.buffer).toBeInstanceOf(ArrayBuffer);
    expect((await model.doGenerate({ prompt, maxTokens: 8, temperature: 0 })).tokens).toEqual(
      expected,
    );
  });

  it('rejects bytes that are not a Uint8Array', async () => {
    const loader = createWorkerLoader({ loaderModule, workerScript });
    await expect(loader.doLoad(modelPath, { bytes: 'GGUF' })).rejects.toThrow(
      /bytes must be a Uint8Array/,
    );
  });

  it('rejects bad pool sizes', () => {
    expect(() => createWorkerLoader({ loaderModule, minWorkers: 3, maxWorkers: 2 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => createWorkerLoader({ loaderModule, maxWorkers: -1 })).toThrow(/non-negative/);
  });

  it('refuses calls after dispose', async () => {
    const model = await load();
    await model.dispose();
    await expect(model.doGenerate({ prompt, maxTokens: 2 })).rejects.toMatchObject({
      code: 'model-disposed',
    });
  });
});
