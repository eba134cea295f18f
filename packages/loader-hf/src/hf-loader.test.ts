/**
 * The `hf` loader end to end: pulled from a test double of the hub (a node:http server on
 * 127.0.0.1, src/testing/hub-test-server.ts), handed through the registry to the GGUF
 * and ONNX loaders, and generating. Plus the conformance kit for `hf:` sources.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, generate, InvalidArgumentError, type ModelV1 } from '@llmr/core';
import { testLoader } from '@llmr/core/test';
import { createNodeEngine } from '@llmr/engine-node';
import { ggufLoader } from '@llmr/loader-gguf';
import { onnxLoader } from '@llmr/loader-onnx';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHubModels } from './__fixtures__/hub-models';
import { HfError } from './hf-error';
import { createHfLoader, hfLoader } from './hf-loader';
import { createHubTestServer } from './testing/index';

const GGUF = 'llmr/tiny-GGUF';
const ONNX = 'llmr/tiny-onnx';
const HF = 'llmr/tiny-hf';

const models = await buildHubModels();
const hub = await createHubTestServer({
  repos: {
    [GGUF]: { files: models.gguf },
    [ONNX]: { files: models.onnx },
    [HF]: { files: models.hf },
  },
});
const root = await mkdtemp(join(tmpdir(), 'llmr-hf-loader-'));
const engine = createNodeEngine({ threads: 1 });
const formatLoaders = [ggufLoader, onnxLoader];
const pullSettings = { endpoint: hub.url, cacheDir: join(root, 'cache'), offline: false };
const formatDefaults = { engine, contextLength: 256, sequences: 1 };

afterAll(async () => {
  await hub.close();
  await models.remove();
  await rm(root, { recursive: true, force: true });
});

testLoader({
  loader: createHfLoader({ loaders: formatLoaders, ...pullSettings, defaults: formatDefaults }),
  sources: [`hf:${GGUF}:Q8_0`, `hf:${ONNX}:q4`, `hf://${GGUF}/tiny-F16.gguf`],
  foreignSources: [
    'mock:random',
    'definitely-not-a-model.txt',
    '/models/tiny-Q8_0.gguf',
    `https://huggingface.co/${GGUF}`,
  ],
  brokenSources: ['hf:llmr/nothing-here', `hf:${GGUF}:Q2_K`, `hf:${HF}`, 'hf:not a repo'],
});

describe('hf: sources through the registry', () => {
  const loaded: ModelV1[] = [];
  afterAll(async () => {
    for (const model of loaded) await model.dispose();
  });

  it('pulls a GGUF quantization and loads it with the GGUF loader into a model that generates', async () => {
    const hf = createHfLoader({ loaders: formatLoaders, ...pullSettings });
    const registry = createRegistry({ loaders: [hf, ...formatLoaders] });
    const stages = new Set<string>();
    const model = await registry.load(`hf:${GGUF}:Q8_0`, {
      ...formatDefaults,
      onProgress: ({ stage }) => stages.add(stage ?? ''),
    });
    loaded.push(model);
    expect(model.resolution.loader.name).toBe('hf');
    expect(model.info).toMatchObject({ id: `${GGUF}:Q8_0`, format: 'gguf', quantization: 'Q8_0' });
    expect([...stages]).toEqual(expect.arrayContaining(['download', 'weights']));
    const result = await generate(model, {
      prompt: 'Once upon a time',
      maxTokens: 6,
      temperature: 0,
    });
    expect(result.usage.outputTokens).toBe(6);

    // The same bytes loaded from a local file give the same greedy tokens.
    const direct = await ggufLoader.doLoad(
      (await hf.pull(`hf:${GGUF}:Q8_0`, pullSettings)).localPath,
      formatDefaults,
    );
    loaded.push(direct);
    expect(
      (await generate(direct, { prompt: 'Once upon a time', maxTokens: 6, temperature: 0 })).tokens,
    ).toEqual(result.tokens);
  });

  it('pulls an ONNX dtype and loads the snapshot folder with the ONNX loader', async () => {
    const hf = createHfLoader({
      registry: createRegistry({ loaders: formatLoaders }),
      ...pullSettings,
    });
    const files: string[] = [];
    const model = await hf.doLoad(`hf:${ONNX}:q4`, {
      engine,
      onDownloadProgress: (progress) => {
        if (progress.status === 'done' || progress.status === 'cached') files.push(progress.file);
      },
    });
    loaded.push(model);
    expect(files.sort()).toContain('onnx/model_q4.onnx');
    expect(files).not.toContain('onnx/model.onnx');
    expect(model.info).toMatchObject({ id: `${ONNX}:q4`, format: 'onnx' });
    const result = await generate(model, { prompt: 'Hello', maxTokens: 4, temperature: 0 });
    expect(result.usage.outputTokens).toBe(4);
  });

  it('the default instance takes the registry load option, and without one says to pass it', async () => {
    const withOption = await hfLoader.doLoad(`hf:${GGUF}:Q8_0`, {
      ...pullSettings,
      ...formatDefaults,
      registry: createRegistry({ loaders: [ggufLoader] }),
    });
    loaded.push(withOption);
    expect(withOption.info.format).toBe('gguf');
    const error = await hfLoader
      .doLoad(`hf:${GGUF}:Q8_0`, { ...pullSettings, ...formatDefaults })
      .catch((caught: unknown) => caught);
    expect(HfError.isInstance(error)).toBe(true);
    expect((error as HfError).code).toBe('hf-no-registry');
    expect((error as HfError).message).toMatch(
      /createHfLoader\(\{ registry \}\).*`registry` load option/,
    );
  });

  it('hands the files to the registry it was created with, that registry holding it too', async () => {
    const registry = createRegistry({ loaders: [ggufLoader] });
    registry.registerLoader(createHfLoader({ registry, ...pullSettings }));
    const model = await registry.load(`hf:${GGUF}:Q8_0`, formatDefaults);
    loaded.push(model);
    expect(
      (model as ModelV1 & { resolution: { loader: { name: string } } }).resolution.loader.name,
    ).toBe('hf');
    expect(model.info).toMatchObject({ id: `${GGUF}:Q8_0`, format: 'gguf' });
  });

  it('says what to do when no format loader takes the files', async () => {
    const hf = createHfLoader({ loaders: formatLoaders, ...pullSettings });
    const error = await hf.doLoad(`hf:${HF}`).catch((caught: unknown) => caught);
    expect(HfError.isInstance(error)).toBe(true);
    expect((error as HfError).code).toBe('hf-no-format-loader');
    expect((error as HfError).message).toMatch(
      /safetensors .*no loader in the registry can load it \(asked: gguf, onnx\).*llmr convert/,
    );
  });

  it('rejects malformed sources with the accepted forms', async () => {
    const hf = createHfLoader({ loaders: formatLoaders, ...pullSettings });
    expect(await hf.canLoad('hf:not a repo')).toMatchObject({ confidence: 0.5 });
    const error = await hf.doLoad('hf:not a repo').catch((caught: unknown) => caught);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('Write hf:org/repo, hf:org/repo:Q4_K_M');
  });
});
