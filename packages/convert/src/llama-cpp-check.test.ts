/**
 * The converter checked by real llama.cpp (node-llama-cpp's prebuilt CPU binary): the
 * oracle's greedy output is its closed-form answer, and the random model's logits match
 * the float64 reference pass.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWithBpe, oracleContinuation, referenceForward } from '@llmr/fixtures';
import { openGguf } from '@llmr/gguf';
import type { Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareNextToken,
  greedy,
  type LlamaModel,
  type LlamaSequence,
  loadLlama,
  withModel as withLlamaModel,
} from './__fixtures__/llama-cpp-run';
import { tinyHf } from './__fixtures__/tiny-hf';
import { type GgufDtype, writeHfModelAsGguf } from './convert-hf-to-gguf';

let dir: string;
let llama: Llama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-convert-'));
  llama = await loadLlama();
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function convert(kind: 'random' | 'oracle', dtype: GgufDtype) {
  const fixture = tinyHf(kind);
  const output = join(dir, `${kind}-${dtype}.gguf`);
  await writeHfModelAsGguf(fixture.hf, { output, dtype });
  return { ...fixture, output };
}

function withModel<T>(
  path: string,
  use: (sequence: LlamaSequence, model: LlamaModel) => Promise<T>,
) {
  return withLlamaModel(llama, path, use);
}

describe('HF -> GGUF checked by llama.cpp', () => {
  it.each(['f32', 'f16', 'q8_0', 'q4_0'] as const)(
    'the oracle (%s) gives its closed-form greedy continuation',
    async (dtype) => {
      const { output, bpe, successor } = await convert('oracle', dtype);
      const prompt = [
        bpe.specialTokens['<|begin_of_text|>'],
        ...encodeWithBpe(bpe, 'The lazy dog'),
      ];
      const expected = oracleContinuation(successor!, prompt.at(-1)!, 12);
      await withModel(output, async (sequence) => {
        expect(await greedy(sequence, prompt, 12)).toEqual(expected);
      });
    },
  );

  it('the random model (F32): llama.cpp log-probabilities match the float64 reference', async () => {
    const { output, bpe, config, weights } = await convert('random', 'f32');
    const prompt = [
      bpe.specialTokens['<|begin_of_text|>'],
      ...encodeWithBpe(bpe, 'Once upon a time there was'),
    ];
    const reference = referenceForward(config, weights, prompt).at(-1)!;
    await withModel(output, async (sequence) => {
      const { worst, compared } = await compareNextToken(sequence, prompt, reference);
      expect(compared).toBeGreaterThan(3);
      // Stated tolerance: 1e-4 in log-probability (llama.cpp's float32 arithmetic vs float64).
      expect(worst).toBeLessThan(1e-4);
    });
  });

  it.each(['f16', 'q8_0'] as const)(
    'the random model (%s): greedy tokens match the float64 reference',
    async (dtype) => {
      const { output, bpe, config, weights } = await convert('random', dtype);
      const prompt = [
        bpe.specialTokens['<|begin_of_text|>'],
        ...encodeWithBpe(bpe, 'The router sent'),
      ];
      const steps = 8;
      const expected: number[] = [];
      const tokens = [...prompt];
      for (let step = 0; step < steps; step++) {
        const logits = referenceForward(config, weights, tokens).at(-1)!;
        const next = logits.indexOf(Math.max(...logits));
        expected.push(next);
        tokens.push(next);
      }
      await withModel(output, async (sequence) => {
        expect(await greedy(sequence, prompt, steps)).toEqual(expected);
      });
    },
  );

  it('llama.cpp tokenizes with the converted vocabulary exactly as the fixture BPE does', async () => {
    const { output, bpe } = await convert('random', 'f16');
    await withModel(output, async (_sequence, model) => {
      for (const text of [
        'Once upon a time',
        'function add(a, b) { return a + b; }',
        'Café naïve 日本語 🙂',
        '1234567 tokens',
        '  two  spaces\n\nnew lines',
      ]) {
        expect(model.tokenize(text)).toEqual(encodeWithBpe(bpe, text));
      }
    });
  });

  it('the written GGUF reads back with the metadata and tensors it was given', async () => {
    const { output, weights } = await convert('random', 'f32');
    const file = await openGguf(output);
    try {
      expect(file.metadata['general.architecture']).toBe('llama');
      expect(file.metadata['tokenizer.ggml.pre']).toBe('llama-bpe');
      const norm = file.tensors.find((tensor) => tensor.name === 'output_norm.weight')!;
      expect(Array.from(await file.readTensorFloat32(norm.name))).toEqual(
        Array.from(weights.get('model.norm.weight')!.data),
      );
    } finally {
      await file.close();
    }
  });
});
