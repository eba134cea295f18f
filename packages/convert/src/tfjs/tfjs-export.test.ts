/**
 * The HF -> TF.js export before any runtime sees it (loader-tfjs runs it against the float64
 * reference): model.json in tfjs-converter's graph-model schema, the ONNX export's interface,
 * shards that add up to the manifest, f16 storage, and refusals of what the graph does not build.
 */
import { LlmrError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { tinyHf } from '../__fixtures__/tiny-hf';
import { hfModelToTfjs } from './convert-hf-to-tfjs';
import { TfjsGraphBuilder } from './tfjs-graph-builder';

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error) => (LlmrError.isInstance(error) ? error.code : String(error)),
  );

describe('HF -> TF.js graph model', () => {
  it('writes the graph-model schema with the KV-cache interface and exact shards', async () => {
    const fixture = tinyHf('random', 1, { layers: 2 });
    const files = await hfModelToTfjs(fixture.hf, { shardBytes: 50_000 });
    const manifest = JSON.parse(files.modelJson);
    expect(manifest.format).toBe('graph-model');
    expect(Object.keys(manifest.signature.inputs)).toEqual([
      'input_ids',
      'attention_mask',
      'position_ids',
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.1.key',
      'past_key_values.1.value',
    ]);
    expect(Object.keys(manifest.signature.outputs)).toEqual([
      'logits',
      'present.0.key',
      'present.0.value',
      'present.1.key',
      'present.1.value',
    ]);
    const ops = new Set(manifest.modelTopology.node.map((node: { op: string }) => node.op));
    for (const op of ['Placeholder', 'Const', 'BatchMatMulV2', 'Rsqrt', 'Mean', 'Softmax'])
      expect(ops).toContain(op);
    // Every Const has its weight; shards hold exactly the declared bytes.
    const [group] = manifest.weightsManifest;
    const weights = new Set(group.weights.map((weight: { name: string }) => weight.name));
    for (const node of manifest.modelTopology.node)
      if (node.op === 'Const') expect(weights).toContain(node.name);
    const declared = group.weights.reduce(
      (sum: number, weight: { shape: number[] }) =>
        sum + 4 * weight.shape.reduce((a: number, b: number) => a * b, 1),
      0,
    );
    const sizes = group.paths.map((path: string) => files.shards[path]!.byteLength);
    expect(sizes.reduce((a: number, b: number) => a + b, 0)).toBe(declared);
    expect(group.paths.length).toBeGreaterThan(1);
  });

  it('f16 stores the large weights as float16 that TF.js dequantizes', async () => {
    const fixture = tinyHf('random', 1, { layers: 1 });
    const f32 = await hfModelToTfjs(fixture.hf);
    const f16 = await hfModelToTfjs(fixture.hf, { dtype: 'f16' });
    const bytes = (files: { shards: Record<string, Uint8Array> }) =>
      Object.values(files.shards).reduce((sum, shard) => sum + shard.byteLength, 0);
    expect(bytes(f16)).toBeLessThan(bytes(f32) * 0.7);
    const weights = JSON.parse(f16.modelJson).weightsManifest[0].weights;
    expect(
      weights.find((weight: { name: string }) => weight.name === 'model.embed_tokens.weight'),
    ).toMatchObject({ dtype: 'float32', quantization: { dtype: 'float16' } });
  });

  it('refuses what the TF.js graph does not build, and a bad dtype', async () => {
    const gemma = tinyHf('random', 1, { layers: 1, architecture: 'gemma2' });
    expect(await code(hfModelToTfjs(gemma.hf))).toBe('convert-unsupported-architecture');
    const phi3 = tinyHf('random', 1, { layers: 1, architecture: 'phi3' });
    expect(await code(hfModelToTfjs(phi3.hf))).toBe('convert-unsupported-architecture');
    const llama = tinyHf('random', 1, { layers: 1 });
    expect(await code(hfModelToTfjs(llama.hf, { dtype: 'q4' as never }))).toBe('invalid-argument');
  });

  it('the builder refuses a node reading an input no earlier node produces', () => {
    const g = new TfjsGraphBuilder();
    g.placeholder('x', 'float32', [-1]);
    expect(() => g.op('Neg', ['y'])).toThrow(/no earlier node/);
    expect(() => g.placeholder('x', 'float32', [1])).toThrow(/Two TF.js graph nodes/);
  });
});
