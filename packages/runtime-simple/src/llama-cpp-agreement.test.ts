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
          const ours = await model.doGenerate({ prompt: text, maxTokens: STEPS, temperature: 0 });
          expect(ours.usage.inputTokens).toBe(prompt.length);
          expect(ours.tokens, `${dtype}: ${text}`).toEqual(
            await llamaCppGreedy(fixture.path, prompt),
          );
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
