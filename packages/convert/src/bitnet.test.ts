import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ternarizeAbsmean } from '@llmr/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyBitnetHf, tinyHf } from './__fixtures__/tiny-hf';
import { checkBitnetConfig, isTernaryProjection, scaleTensorName, ternarize } from './bitnet';
import { writeHfModelAsGguf } from './convert-hf-to-gguf';
import { hfModelToOnnxBytes } from './onnx/convert-hf-to-onnx';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-bitnet-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('BitNet conversion rules', () => {
  it('ternarizes with the absmean scale (w / mean|w|, rounded, clamped), halves to even', () => {
    // mean |w| = 1: 0.5 rounds to 0 (even), 1.5 to 2 and is clamped to 1, -3 to -1.
    const { trits, scale } = ternarize(Float32Array.of(0.5, 1.5, -3, 0, -0.5, 0.5));
    expect(scale).toBe(1);
    expect(Array.from(trits, (value) => value + 0)).toEqual([0, 1, -1, 0, 0, 0]);
    expect(ternarize(new Float32Array(4)).scale).toBe(Math.fround(1e-5));
  });

  it('agrees with the fixture’s independent transcription on a random tensor', () => {
    const latent = tinyBitnetHf().weights.get('model.layers.0.mlp.down_proj.weight')!.data;
    const ours = ternarize(latent);
    const theirs = ternarizeAbsmean(latent);
    expect(ours.scale).toBe(theirs.scale);
    expect(Array.from(ours.trits, (value) => value + 0)).toEqual(Array.from(theirs.trits));
  });

  it('names the projections and their scale tensors as llama.cpp does', () => {
    expect(isTernaryProjection('model.layers.3.self_attn.o_proj.weight')).toBe(true);
    expect(isTernaryProjection('model.layers.3.mlp.gate_proj.weight')).toBe(true);
    expect(isTernaryProjection('model.embed_tokens.weight')).toBe(false);
    expect(isTernaryProjection('model.layers.3.self_attn.inner_attn_ln.weight')).toBe(false);
    expect(scaleTensorName('blk.3.attn_output.weight')).toBe('blk.3.attn_output.scale');
  });

  it('refuses checkpoints llama.cpp’s bitnet graph would run wrongly, saying why', () => {
    expect(() => checkBitnetConfig({ hidden_act: 'relu2' }, [])).toThrow(/SiLU/);
    expect(() => checkBitnetConfig({ tie_word_embeddings: false }, ['lm_head.weight'])).toThrow(
      /token embeddings/,
    );
    expect(() => checkBitnetConfig({}, ['model.layers.0.self_attn.q_proj.weight_scale'])).toThrow(
      /pre-packed/,
    );
    expect(() => checkBitnetConfig({ hidden_act: 'silu' }, ['model.norm.weight'])).not.toThrow();
  });

  it('refuses ternary dtypes for non-BitNet models', async () => {
    await expect(
      writeHfModelAsGguf(tinyHf('random').hf, { output: join(dir, 'x.gguf'), dtype: 'tq2_0' }),
    ).rejects.toMatchObject({ code: 'convert-unsupported-config', message: /only BitNet/ });
  });

  it('refuses the ONNX export, which has no BitNet graph, naming GGUF instead', async () => {
    await expect(hfModelToOnnxBytes(tinyBitnetHf().hf)).rejects.toMatchObject({
      code: 'convert-unsupported-architecture',
      message: /GGUF only/,
    });
  });

  it('falls back to F16 (exact for trits) where rows are not whole 256-value blocks', async () => {
    const { hf } = tinyBitnetHf({ hidden: 128, intermediate: 256, heads: 2, kvHeads: 1 });
    const result = await writeHfModelAsGguf(hf, {
      output: join(dir, 'narrow.gguf'),
      dtype: 'tq1_0',
    });
    expect(result.fallbacks.map((fallback) => fallback.tensor)).toContain('blk.0.attn_q.weight');
    expect(result.fallbacks.every((fallback) => /multiple of 256/.test(fallback.reason))).toBe(
      true,
    );
    // down_proj's rows are 256 long: still TQ1_0.
    expect(result.fallbacks.map((fallback) => fallback.tensor)).not.toContain(
      'blk.0.ffn_down.weight',
    );
  });
});
