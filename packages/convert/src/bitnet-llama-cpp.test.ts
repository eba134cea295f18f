/**
 * BitNet b1.58 -> GGUF (TQ1_0, TQ2_0, F32) checked by real llama.cpp (node-llama-cpp's prebuilt
 * CPU binary) against the float64 reference of the same architecture.
 *
 * Activation quantization differs by path, and the reference reproduces each:
 * - BitNet training (and 1bitLLM's HF code) quantizes activations per token to 8 bits (absmax);
 * - llama.cpp's TQ1_0/TQ2_0 dot products quantize them to Q8_K: 8 bits per block of 256;
 * - F32 storage computes in float32 with no activation quantization.
 * Q8_K rounding is discontinuous, so the reference that emulates it takes the embeddings as
 * stored (F16) too: otherwise their rounding flips activation quants and the two drift apart
 * as far as from the float reference. Greedy runs are compared where the reference's top-two
 * margin exceeds twice the logit tolerance (asserted), so agreement is expected for a reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BITNET_TERNARY_PROJECTIONS,
  type BitnetActivations,
  bitnetProjection,
  encodeWithBpe,
  referenceForward,
  ternarizeAbsmean,
  type Weights,
} from '@llmr/fixtures';
import { GgmlType, ggufTensorName, openGguf } from '@llmr/gguf';
import type { Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  greedy,
  type LlamaSequence,
  loadLlama,
  nextTokenProbabilities,
  withModel as withLlamaModel,
} from './__fixtures__/llama-cpp-run';
import { tinyBitnetHf } from './__fixtures__/tiny-hf';
import { type GgufDtype, writeHfModelAsGguf } from './convert-hf-to-gguf';

let dir: string;
let llama: Llama;
/** Stated tolerance: llama.cpp vs the reference that applies its activation quantization. */
const LOGIT_TOLERANCE = 1e-2;
const fixtures = new Map([1, 3].map((seed) => [seed, tinyBitnetHf({ seed })]));
const fixture = fixtures.get(1)!;
const { config, weights, bpe } = fixture;
const promptOf = (text: string) => [
  bpe.specialTokens['<|begin_of_text|>'],
  ...encodeWithBpe(bpe, text),
];
const prompt = promptOf('The router sent');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-bitnet-'));
  llama = await loadLlama();
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function convert(dtype: GgufDtype, seed = 1) {
  const output = join(dir, `bitnet-${seed}-${dtype}.gguf`);
  const result = await writeHfModelAsGguf(fixtures.get(seed)!.hf, { output, dtype });
  return { output, result };
}

/** The fixture's weights with the embeddings as the GGUF stores them (F16 unless F32). */
async function storedWeights(output: string, seed = 1): Promise<Weights> {
  const source = fixtures.get(seed)!.weights;
  const file = await openGguf(output);
  try {
    const embeddings = source.get('model.embed_tokens.weight')!;
    return new Map(source).set('model.embed_tokens.weight', {
      shape: embeddings.shape,
      data: await file.readTensorFloat32('token_embd.weight'),
    });
  } finally {
    await file.close();
  }
}

/** llama.cpp's next-token log-probabilities relative to its top token. */
async function relativeLogProbabilities(sequence: LlamaSequence, tokens: number[]) {
  const probabilities = await nextTokenProbabilities(sequence, tokens);
  const top = Math.max(...probabilities.values());
  const relative = new Map<number, number>();
  for (const [token, probability] of probabilities) {
    if (probability > 1e-6) relative.set(token, Math.log(probability) - Math.log(top));
  }
  return relative;
}

function referenceLogits(
  tokens: number[],
  activations: BitnetActivations,
  model: Weights = weights,
) {
  return referenceForward(config, model, tokens, bitnetProjection(model, activations)).at(-1)!;
}

/** Largest |(llama.cpp relative log-prob) - (reference logit - reference max)|. */
function worstDifference(relative: Map<number, number>, logits: Float64Array) {
  const max = Math.max(...logits);
  let worst = 0;
  for (const [token, value] of relative)
    worst = Math.max(worst, Math.abs(value - (logits[token]! - max)));
  return worst;
}

function topTwoMargin(logits: Float64Array) {
  const sorted = [...logits].sort((a, b) => b - a);
  return sorted[0]! - sorted[1]!;
}

describe('BitNet b1.58 -> GGUF on llama.cpp', () => {
  it.each([
    ['tq1_0', GgmlType.TQ1_0, 54 * 8],
    ['tq2_0', GgmlType.TQ2_0, 66 * 8],
  ] as const)(
    '%s: ternary weights read back exactly, at the type’s bits per weight',
    async (dtype, type, blockBits) => {
      const { output, result } = await convert(dtype);
      expect(result.architecture).toBe('bitnet');
      expect(result.fallbacks).toEqual([]);
      const file = await openGguf(output);
      try {
        expect(file.metadata['general.architecture']).toBe('bitnet');
        let ternaryBytes = 0;
        let ternaryCount = 0;
        for (let layer = 0; layer < config.numLayers; layer++) {
          for (const suffix of BITNET_TERNARY_PROJECTIONS) {
            const hfName = `model.layers.${layer}.${suffix}`;
            const name = ggufTensorName(hfName)!;
            const info = file.tensors.find((tensor) => tensor.name === name)!;
            expect(info.type).toBe(type);
            const expected = ternarizeAbsmean(weights.get(hfName)!.data);
            const decoded = await file.readTensorFloat32(name);
            expect(Array.from(decoded, (value) => value + 0)).toEqual(Array.from(expected.trits));
            const scale = await file.readTensorFloat32(name.replace(/\.weight$/, '.scale'));
            expect(Array.from(scale)).toEqual([expected.scale]);
            ternaryBytes += info.byteLength;
            ternaryCount += decoded.length;
          }
        }
        expect((ternaryBytes * 8) / ternaryCount).toBe(blockBits / 256);
        // Resident: llama.cpp keeps the blocks as they are (TQ types are not repacked), so the
        // weights it holds are the file's tensor bytes.
        const tensorBytes = file.tensors.reduce((sum, tensor) => sum + tensor.byteLength, 0);
        await withLlamaModel(llama, output, async (_sequence, model) => {
          console.log(
            `${dtype}: ${(ternaryBytes * 8) / ternaryCount} bits per ternary weight; file tensors ${tensorBytes} B, llama.cpp model.size ${model.size} B`,
          );
          expect(model.size).toBe(tensorBytes);
        });
      } finally {
        await file.close();
      }
    },
  );

  it.each(['tq1_0', 'tq2_0'] as const)(
    '%s: llama.cpp logits match the reference with Q8_K activations, and not the float one',
    async (dtype) => {
      const { output } = await convert(dtype);
      const emulated = referenceLogits(prompt, 'q8_K-blocks', await storedWeights(output));
      const float = referenceLogits(prompt, 'float');
      await withLlamaModel(llama, output, async (sequence) => {
        const relative = await relativeLogProbabilities(sequence, prompt);
        expect(relative.size).toBeGreaterThan(20);
        const toEmulated = worstDifference(relative, emulated);
        const toFloat = worstDifference(relative, float);
        expect(toEmulated).toBeLessThan(LOGIT_TOLERANCE);
        // Q8_K activations move logits by tenths here: the comparison tells the two apart.
        expect(toFloat).toBeGreaterThan(10 * toEmulated);
      });
    },
  );

  it('F32: llama.cpp logits match the float reference (no activation quantization)', async () => {
    const { output } = await convert('f32');
    const float = referenceLogits(prompt, 'float');
    await withLlamaModel(llama, output, async (sequence) => {
      const relative = await relativeLogProbabilities(sequence, prompt);
      expect(relative.size).toBeGreaterThan(20);
      expect(worstDifference(relative, float)).toBeLessThan(1e-4);
    });
  });

  it.each([
    ['tq1_0', 1, 'The router sent'],
    ['tq2_0', 1, 'The router sent'],
    ['tq1_0', 3, 'Once upon a time'],
    ['tq2_0', 3, 'Once upon a time'],
    ['f32', 1, 'The router sent'],
  ] as const)(
    '%s (seed %i, "%s"): llama.cpp gives the reference’s greedy tokens',
    async (dtype, seed, text) => {
      const { output } = await convert(dtype, seed);
      const model = await storedWeights(output, seed);
      const activations: BitnetActivations = dtype === 'f32' ? 'float' : 'q8_K-blocks';
      const start = promptOf(text);
      const steps = 8;
      const expected: number[] = [];
      const tokens = [...start];
      for (let step = 0; step < steps; step++) {
        const logits = referenceForward(
          config,
          model,
          tokens,
          bitnetProjection(model, activations),
        ).at(-1)!;
        expect(topTwoMargin(logits)).toBeGreaterThan(2 * LOGIT_TOLERANCE);
        const next = logits.indexOf(Math.max(...logits));
        expected.push(next);
        tokens.push(next);
      }
      if (seed === 3) {
        // Here the float reference starts elsewhere: only the Q8_K reference predicts llama.cpp.
        const float = referenceLogits(start, 'float', model);
        expect(float.indexOf(Math.max(...float))).not.toBe(expected[0]);
      }
      await withLlamaModel(llama, output, async (sequence) => {
        expect(await greedy(sequence, start, steps)).toEqual(expected);
      });
    },
  );
});
