/**
 * The simple runtime against llama.cpp (node-llama-cpp, CPU, one thread) on the same
 * GGUF files and the same prompt ids: greedy tokens must be identical.
 */

import { buildTinyModel } from '@llmr/fixtures';
import { getLlama, type Token } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { asQwen, tinyModelDirectory } from './__fixtures__/tiny-models';
import { loadSimpleGguf, loadSimpleHfDirectory } from './index';

const files = await tinyModelDirectory();
afterAll(() => files.remove());
const STEPS = 16;
/** A top-2 log-probability gap (nats) under which the two runtimes' roundings may differ. */
const NEAR_TIE = 0.05;

/** The first step where two token sequences differ, if any. */
function firstDifference(ours: readonly number[], theirs: readonly number[]): number | undefined {
  for (let index = 0; index < Math.max(ours.length, theirs.length); index++)
    if (ours[index] !== theirs[index]) return index;
  return undefined;
}

async function llamaCppGreedy(path: string, prompt: number[]): Promise<number[]> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 256, sequences: 1, threads: 1 });
  try {
    const tokens: number[] = [];
    for await (const token of context
      .getSequence()
      .evaluate(prompt as Token[], { temperature: 0 })) {
      tokens.push(token as number);
      if (tokens.length >= STEPS) break;
    }
    return tokens;
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

describe('greedy tokens equal llama.cpp on the same GGUF', () => {
  for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0'] as const) {
    it(`random weights, ${dtype}, two prompts`, async () => {
      const fixture = await files.gguf('random', dtype, { seed: 5, layers: 3 });
      const model = await loadSimpleGguf(fixture.path, { contextLength: 256 });
      try {
        for (const text of ['The router sent', 'Once upon a time, in a small town']) {
          const prompt = model.tokenizer.encode(text);
          const ours = await model.doGenerate({
            prompt: text,
            maxTokens: STEPS,
            temperature: 0,
            logprobs: true,
            topLogprobs: 2,
          });
          expect(ours.usage.inputTokens).toBe(prompt.length);
          const theirs = await llamaCppGreedy(fixture.path, prompt);
          // Q4_0 dot products quantize activations in blocks, in a different order in each
          // runtime, so a near tie between the two best tokens may go either way. The
          // sequences must agree up to their first difference, and there our top-2 gap must
          // be a near tie (a flip there is rounding, not a wrong model); other types: equal.
          const divergence = firstDifference(ours.tokens ?? [], theirs);
          if (dtype !== 'q4_0' || divergence === undefined) {
            expect(ours.tokens, `${dtype}: ${text}`).toEqual(theirs);
          } else {
            const [best, second] = ours.logprobs?.[divergence]?.topLogprobs ?? [];
            expect(
              best!.logprob - second!.logprob,
              `${dtype}: ${text}: differs at step ${divergence} without a near tie`,
            ).toBeLessThan(NEAR_TIE);
          }
        }
      } finally {
        await model.dispose();
      }
    });
  }
});

describe('Qwen2 (Q/K/V biases) and Qwen3 (Q/K norms, tied embeddings)', () => {
  for (const variant of ['qwen2', 'qwen3'] as const) {
    it(`${variant}: GGUF (f32, q8_0) equals llama.cpp, and the safetensors directory equals the F32 GGUF`, async () => {
      const model = asQwen(
        buildTinyModel({ kind: 'random', seed: 6, contextLength: 256 }),
        variant,
      );
      const directory = await files.hfOf(model, `hf-${variant}`);
      const fromHf = await loadSimpleHfDirectory(directory.path);
      expect(fromHf.info.architecture).toBe(variant);
      const text = 'The router sent';
      const hfTokens = (await fromHf.doGenerate({ prompt: text, maxTokens: STEPS, temperature: 0 }))
        .tokens;
      await fromHf.dispose();
      for (const dtype of ['f32', 'q8_0'] as const) {
        const fixture = await files.ggufOf(model, variant, dtype);
        const loaded = await loadSimpleGguf(fixture.path, { contextLength: 256 });
        try {
          const prompt = loaded.tokenizer.encode(text);
          const ours = await loaded.doGenerate({ prompt: text, maxTokens: STEPS, temperature: 0 });
          expect(ours.tokens, `${variant} ${dtype}`).toEqual(
            await llamaCppGreedy(fixture.path, prompt),
          );
          if (dtype === 'f32') expect(ours.tokens).toEqual(hfTokens);
        } finally {
          await loaded.dispose();
        }
      }
    });
  }
});
