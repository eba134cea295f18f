/**
 * TF.js models written the way tfjs-converter and tf.io write them — a layers model saved by
 * tfjs-layers itself (split over two shards), a graph model built with the converter's JSON
 * schema — load on the cpu backend and compute what a direct tfjs run computes. Manifests that
 * do not match their shards, leave their directory or exceed limits are refused by code.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlmrError } from '@llmr/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTfjsModel } from './load-tfjs-model';
import { readTfjsArtifacts } from './tfjs-artifacts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-tfjs-'));
  await tf.setBackend('cpu');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function joined(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return out;
}

/** Writes model.json and its weights split into `shardCount` files, as the converter does. */
async function writeModel(
  target: string,
  manifest: Record<string, unknown>,
  weightSpecs: unknown[],
  weights: Uint8Array,
  shardCount = 2,
) {
  await mkdir(target, { recursive: true });
  const paths: string[] = [];
  const size = Math.ceil(weights.byteLength / shardCount);
  for (let index = 0; index < shardCount; index++) {
    const path = `group1-shard${index + 1}of${shardCount}.bin`;
    paths.push(path);
    await writeFile(join(target, path), weights.subarray(index * size, (index + 1) * size));
  }
  await writeFile(
    join(target, 'model.json'),
    JSON.stringify({ ...manifest, weightsManifest: [{ paths, weights: weightSpecs }] }),
  );
  return target;
}

/** A dense network saved by tfjs-layers, written as model.json + 2 shards. */
async function layersModel() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const target = await writeModel(
    join(dir, 'layers'),
    {
      format: 'layers-model',
      generatedBy: saved!.generatedBy,
      convertedBy: null,
      modelTopology: saved!.modelTopology,
    },
    saved!.weightSpecs!,
    joined(saved!.weightData as ArrayBuffer | ArrayBuffer[]),
  );
  return { model, target };
}

const W = [
  [0.5, -1, 2],
  [1.5, 0.25, -0.5],
  [-2, 1, 0.75],
  [0.1, 0.2, 0.3],
];
const B = [0.1, -0.2, 0.3];

/** y = relu(x W + b) as a GraphDef in tfjs-converter's JSON schema. */
function graphManifest() {
  const float = { type: 'DT_FLOAT' };
  const constant = (name: string, dims: number[]) => ({
    name,
    op: 'Const',
    attr: {
      dtype: float,
      value: {
        tensor: {
          dtype: 'DT_FLOAT',
          tensorShape: { dim: dims.map((size) => ({ size: `${size}` })) },
        },
      },
    },
  });
  return {
    format: 'graph-model',
    generatedBy: '2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    signature: {
      inputs: { 'x:0': { name: 'x:0', dtype: 'DT_FLOAT' } },
      outputs: { 'y:0': { name: 'y:0', dtype: 'DT_FLOAT' } },
    },
    modelTopology: {
      node: [
        {
          name: 'x',
          op: 'Placeholder',
          attr: { dtype: float, shape: { shape: { dim: [{ size: '-1' }, { size: '4' }] } } },
        },
        constant('w', [4, 3]),
        constant('b', [3]),
        {
          name: 'mm',
          op: 'MatMul',
          input: ['x', 'w'],
          attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } },
        },
        { name: 'add', op: 'BiasAdd', input: ['mm', 'b'], attr: { T: float } },
        { name: 'y', op: 'Relu', input: ['add'], attr: { T: float } },
      ],
      library: {},
      versions: { producer: 1 },
    },
  };
}

const graphWeights = [
  { name: 'w', shape: [4, 3], dtype: 'float32' },
  { name: 'b', shape: [3], dtype: 'float32' },
];
const graphBytes = new Uint8Array(Float32Array.from([...W.flat(), ...B]).buffer);

describe('loadTfjsModel', () => {
  it('a layers model saved by tfjs-layers loads and predicts exactly what the original does', async () => {
    const { model, target } = await layersModel();
    const loaded = await loadTfjsModel(target);
    expect(loaded.format).toBe('layers-model');
    const input = tf.tensor2d([
      [1, 2, 3, 4],
      [-1, 0.5, 0, 2],
    ]);
    const expected = (model.predict(input) as tf.Tensor).dataSync();
    const actual = (loaded.model.predict(input) as tf.Tensor).dataSync();
    expect(Array.from(actual)).toEqual(Array.from(expected));
  });

  it('a graph model in the converter’s schema computes relu(x W + b) as tfjs ops do', async () => {
    const target = await writeModel(join(dir, 'graph'), graphManifest(), graphWeights, graphBytes);
    const loaded = await loadTfjsModel(join(target, 'model.json'));
    expect(loaded.format).toBe('graph-model');
    const input = tf.tensor2d([
      [1, 2, 3, 4],
      [-1, 0.5, 0, 2],
    ]);
    const direct = tf.relu(tf.add(tf.matMul(input, tf.tensor2d(W)), tf.tensor1d(B))).dataSync();
    const actual = (loaded.model.predict(input) as tf.Tensor).dataSync();
    expect(Array.from(actual)).toEqual(Array.from(direct));
    expect(Array.from(actual)).not.toEqual(new Array(6).fill(0));
  });

  it('loads from bytes too', async () => {
    const loaded = await loadTfjsModel({
      modelJson: JSON.stringify({
        ...graphManifest(),
        weightsManifest: [{ paths: ['weights.bin'], weights: graphWeights }],
      }),
      shards: { 'weights.bin': graphBytes },
    });
    const output = loaded.model.predict(tf.tensor2d([[0, 0, 0, 0]])) as tf.Tensor;
    expect(Array.from(output.dataSync())).toEqual([Math.fround(0.1), 0, Math.fround(0.3)]);
  });

  it('the wasm backend (registered by the application) gives the cpu backend’s outputs', async () => {
    // Importing the package registers "wasm"; in Node it reads its .wasm files beside itself.
    await import('@tensorflow/tfjs-backend-wasm');
    const { model: cpuModel, target } = await layersModel();
    const input = [
      [1, 2, 3, 4],
      [-1, 0.5, 0, 2],
    ];
    const onCpu = Array.from((cpuModel.predict(tf.tensor2d(input)) as tf.Tensor).dataSync());
    const graph = await writeModel(
      join(dir, 'graph-wasm'),
      graphManifest(),
      graphWeights,
      graphBytes,
    );
    const graphOnCpu = Array.from(
      ((await loadTfjsModel(graph)).model.predict(tf.tensor2d(input)) as tf.Tensor).dataSync(),
    );
    const layers = await loadTfjsModel(target, { backend: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    const onWasm = Array.from((layers.model.predict(tf.tensor2d(input)) as tf.Tensor).dataSync());
    const graphOnWasm = Array.from(
      (
        (await loadTfjsModel(graph, { backend: 'wasm' })).model.predict(
          tf.tensor2d(input),
        ) as tf.Tensor
      ).dataSync(),
    );
    // XNNPACK may sum in another order: float32 rounding apart, no more.
    for (const [actual, expected] of [
      [onWasm, onCpu],
      [graphOnWasm, graphOnCpu],
    ] as const) {
      expect(actual).toHaveLength(expected.length);
      actual.forEach((value, index) => {
        expect(Math.abs(value - expected[index]!)).toBeLessThan(1e-6);
      });
    }
    await tf.setBackend('cpu');
  });

  it('an unregistered backend is refused, naming the package to import', async () => {
    const target = join(dir, 'graph');
    await expect(loadTfjsModel(target, { backend: 'webgl' })).rejects.toMatchObject({
      code: 'tfjs-backend-unavailable',
    });
    await tf.setBackend('cpu');
  });
});

describe('readTfjsArtifacts refuses bad input with a code', () => {
  const manifest = (weightsManifest: unknown) =>
    JSON.stringify({ ...graphManifest(), weightsManifest });
  const bytes = (weightsManifest: unknown, shards: Record<string, Uint8Array>) => ({
    modelJson: manifest(weightsManifest),
    shards,
  });
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error) => (LlmrError.isInstance(error) ? error.code : String(error)),
    );

  it('shards shorter or longer than the weights declare', async () => {
    const group = [{ paths: ['a.bin'], weights: graphWeights }];
    expect(await code(readTfjsArtifacts(bytes(group, { 'a.bin': graphBytes.subarray(4) })))).toBe(
      'tfjs-shard-size-mismatch',
    );
    const longer = new Uint8Array(graphBytes.byteLength + 1);
    expect(await code(readTfjsArtifacts(bytes(group, { 'a.bin': longer })))).toBe(
      'tfjs-shard-size-mismatch',
    );
  });

  it('a truncated shard on disk, a missing shard, a path out of the directory', async () => {
    const target = await writeModel(
      join(dir, 'truncated'),
      graphManifest(),
      graphWeights,
      graphBytes,
    );
    await writeFile(join(target, 'group1-shard2of2.bin'), new Uint8Array(3));
    expect(await code(readTfjsArtifacts(target))).toBe('tfjs-shard-size-mismatch');
    await rm(join(target, 'group1-shard2of2.bin'));
    expect(await code(readTfjsArtifacts(target))).toBe('tfjs-missing-shard');
    for (const path of ['../secret.bin', '/etc/passwd', '%2e%2e/x.bin', 'file:///x.bin']) {
      const group = [{ paths: [path], weights: graphWeights }];
      expect(await code(readTfjsArtifacts(bytes(group, {})))).toBe('tfjs-unsafe-path');
    }
  });

  it('limits: manifest size, total weight bytes, weight count', async () => {
    const group = [{ paths: ['a.bin'], weights: graphWeights }];
    const input = bytes(group, { 'a.bin': graphBytes });
    expect(await code(readTfjsArtifacts(input, { maxManifestBytes: 100 }))).toBe(
      'tfjs-limit-exceeded',
    );
    expect(await code(readTfjsArtifacts(input, { maxWeightBytes: 10 }))).toBe(
      'tfjs-limit-exceeded',
    );
    expect(await code(readTfjsArtifacts(input, { maxWeights: 1 }))).toBe('tfjs-limit-exceeded');
    // A huge declared shape is refused before any shard is read.
    const huge = [
      { paths: ['a.bin'], weights: [{ name: 'w', shape: [1e9, 1e9], dtype: 'float32' }] },
    ];
    expect(await code(readTfjsArtifacts(bytes(huge, {})))).toBe('tfjs-limit-exceeded');
  });

  it('malformed manifests', async () => {
    const cases: [string, unknown][] = [
      ['not json', '{'],
      ['no topology', JSON.stringify({ format: 'graph-model' })],
      ['wrong format', JSON.stringify({ ...graphManifest(), format: 'saved-model' })],
      [
        'bad dtype',
        manifest([{ paths: ['a.bin'], weights: [{ name: 'w', shape: [1], dtype: 'string' }] }]),
      ],
      [
        'bad shape',
        manifest([{ paths: ['a.bin'], weights: [{ name: 'w', shape: [-1], dtype: 'float32' }] }]),
      ],
      ['no paths', manifest([{ weights: [] }])],
    ];
    for (const [, modelJson] of cases) {
      expect(await code(readTfjsArtifacts({ modelJson: modelJson as string, shards: {} }))).toBe(
        'tfjs-invalid-manifest',
      );
    }
  });
});
