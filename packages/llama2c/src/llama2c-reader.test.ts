/**
 * Checkpoints written by llama2.c's own export functions (v0 legacy, v1 float32, v2 Q8_0) under
 * real PyTorch, from a fixture model: read back as HF tensors, the RoPE layout mapped back.
 */
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParseError } from '@llmr/core';
import { buildTinyModel } from '@llmr/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLAMA2C_MAGIC, parseLlama2cHeader } from './llama2c-header';
import { interleavedToHalves, isLlama2cCheckpoint, openLlama2c } from './llama2c-reader';
import { llama2cSentencePieces, parseLlama2cTokenizer } from './llama2c-tokenizer';
import { exportLlama2c, writeLlama2cTokenizer } from './testing/llama2c-export';

let dir: string;
const model = buildTinyModel({
  kind: 'random',
  seed: 3,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  contextLength: 64,
});
const configJson = model.files['config.json'] as Record<string, unknown>;

/** The same model with the classifier tied to the embeddings (llama2.c's "shared classifier"). */
const tied = new Map(model.weights);
tied.set('lm_head.weight', model.weights.get('model.embed_tokens.weight')!);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-llama2c-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('llama2.c checkpoints from export.py', () => {
  for (const [version, shared] of [
    [0, false],
    [0, true],
    [1, false],
    [1, true],
  ] as const) {
    it(`v${version} (${shared ? 'shared' : 'separate'} classifier) reads back the exact HF tensors`, async () => {
      const path = join(dir, `v${version}-${shared}.bin`);
      await exportLlama2c(shared ? tied : model.weights, configJson, path, version);
      const checkpoint = await openLlama2c(path);
      try {
        expect(checkpoint.header.version).toBe(version);
        expect(checkpoint.config).toMatchObject({
          hidden_size: model.config.hiddenSize,
          num_key_value_heads: 2,
          tie_word_embeddings: shared,
          max_position_embeddings: 64,
        });
        const expected = [...model.weights.keys()].filter(
          (name) => !(shared && name === 'lm_head.weight'),
        );
        expect(new Set(checkpoint.names)).toEqual(new Set(expected));
        for (const name of expected) {
          const tensor = model.weights.get(name)!;
          expect(checkpoint.shape(name), name).toEqual(tensor.shape);
          expect(await checkpoint.readFloat32(name), name).toEqual(tensor.data);
        }
      } finally {
        await checkpoint.close();
      }
    });
  }

  it('v2 (Q8_0 groups) dequantizes within half a quantization step', async () => {
    const path = join(dir, 'v2.bin');
    await exportLlama2c(model.weights, configJson, path, 2);
    const checkpoint = await openLlama2c(path);
    try {
      expect(checkpoint.header.groupSize).toBe(64);
      expect(checkpoint.dtype('model.layers.0.self_attn.q_proj.weight')).toBe('Q8_0');
      expect(checkpoint.dtype('model.norm.weight')).toBe('F32');
      for (const [name, tensor] of model.weights) {
        const values = await checkpoint.readFloat32(name);
        if (tensor.shape.length === 1) {
          expect(values).toEqual(tensor.data);
          continue;
        }
        let worst = 0;
        let scale = 0;
        for (let index = 0; index < values.length; index++) {
          worst = Math.max(worst, Math.abs(values[index]! - tensor.data[index]!));
          scale = Math.max(scale, Math.abs(tensor.data[index]!));
        }
        expect(worst, name).toBeLessThanOrEqual((scale / 127) * 0.5 + 1e-6);
      }
    } finally {
      await checkpoint.close();
    }
  });

  it('refuses truncated files, unknown versions and impossible headers with clear errors', async () => {
    const path = join(dir, 'v1-false.bin');
    const bytes = new Uint8Array(await readFile(path));
    expect(isLlama2cCheckpoint(bytes.subarray(0, 256), bytes.byteLength)).toBe(true);
    expect(isLlama2cCheckpoint(bytes.subarray(0, 256), bytes.byteLength - 1)).toBe(false);
    const cut = join(dir, 'cut.bin');
    await writeFile(cut, bytes);
    await truncate(cut, bytes.byteLength - 4);
    const error = await openLlama2c(cut).catch((caught) => caught);
    expect(ParseError.isInstance(error)).toBe(true);
    expect(error.code).toBe('llama2c-size-mismatch');
    const v9 = bytes.slice(0, 256);
    new DataView(v9.buffer).setInt32(4, 9, true);
    expect(() => parseLlama2cHeader(v9)).toThrow(/version 9 is not read/);
    const odd = bytes.slice(0, 256);
    new DataView(odd.buffer).setInt32(8 + 12, 3, true);
    expect(() => parseLlama2cHeader(odd)).toThrow(/heads of even size/);
    const huge = bytes.slice(0, 256);
    new DataView(huge.buffer).setInt32(8, -5, true);
    expect(() => parseLlama2cHeader(huge)).toThrow(/dim is -5/);
    expect(new DataView(bytes.buffer).getUint32(0, true)).toBe(LLAMA2C_MAGIC);
  });

  it('interleavedToHalves is the inverse of the HF -> Meta permutation', () => {
    // One head of 4 rows: Meta order [r0, r1, r2, r3] = HF [h0, h2, h1, h3].
    const meta = Float32Array.of(0, 2, 1, 3);
    expect(Array.from(interleavedToHalves(meta, 1, 1))).toEqual([0, 1, 2, 3]);
  });
});

describe('tokenizer.bin', () => {
  it('round-trips SentencePiece pieces, scores and kinds', async () => {
    const pieces = ['<unk>', '<s>', '</s>', '<0x0A>', '\u2581the', 'é', '\u2581\u2581'];
    const scores = [0, 0, 0, 0, -1.5, -2.25, -3];
    const path = join(dir, 'tokenizer.bin');
    await writeLlama2cTokenizer(pieces, scores, path);
    const vocabulary = parseLlama2cTokenizer(new Uint8Array(await readFile(path)), pieces.length);
    expect(Array.from(vocabulary.scores)).toEqual(scores);
    const { tokens, kinds } = llama2cSentencePieces(vocabulary);
    expect(tokens).toEqual(pieces);
    expect(kinds).toEqual(['unknown', 'control', 'control', 'byte', 'normal', 'normal', 'normal']);
  });

  it('refuses a tokenizer.bin too short for the vocabulary or with oversized tokens', () => {
    const bytes = new Uint8Array(4 + 8 + 3);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 2, true);
    view.setUint32(8, 3, true);
    expect(() => parseLlama2cTokenizer(bytes, 1)).toThrow(/above the declared max 2/);
    expect(() => parseLlama2cTokenizer(bytes, 32000)).toThrow(/cannot hold 32000 tokens/);
  });
});
