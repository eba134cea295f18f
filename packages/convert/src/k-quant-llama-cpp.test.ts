/**
 * K-quant GGUFs (Q2_K-Q6_K and the Q4_K_M / Q5_K_M mixes) checked by real llama.cpp
 * (node-llama-cpp's prebuilt CPU binary):
 * - on a random Llama (hidden 256, 8 layers: every matrix is whole 256-value blocks and the mixes
 *   pick Q6_K for some layers only), llama.cpp's next-token distributions along the F32 GGUF's
 *   greedy paths stay within stated bounds of the F32 ones (worst logit error, mean KL), and more
 *   bits give a smaller KL. Random weights have near-flat next-token distributions (top-two
 *   margins of a few thousandths), so greedy agreement there is reported, not asserted; the
 *   figures are printed for the note.
 * - on the oracle fixture (one-hot residual stream: the top logit leads by a wide margin by
 *   construction), greedy decoding of every K-quant file gives the closed-form continuation.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWithBpe, oracleContinuation } from '@llmr/fixtures';
import { GgmlType, ggmlTypeName, openGguf } from '@llmr/gguf';
import type { Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  greedy,
  type LlamaSequence,
  loadLlama,
  nextTokenProbabilities,
  withModel,
} from './__fixtures__/llama-cpp-run';
import { tinyHf } from './__fixtures__/tiny-hf';
import { type GgufDtype, writeHfModelAsGguf } from './convert-hf-to-gguf';
import type { KQuantDtype } from './k-quant-mix';

const fixture = tinyHf('random', 5, { hidden: 256, intermediate: 512, layers: 8, heads: 4 });
const { bpe } = fixture;
const PROMPTS = ['Once upon a time there was', 'The router sent', 'function add(a, b)'].map(
  (text) => [bpe.specialTokens['<|begin_of_text|>'], ...encodeWithBpe(bpe, text)],
);
const STEPS = 8;
/**
 * Stated bounds per dtype on the random fixture: the worst logit error (differences to the top
 * token, tokens F32 gives >= 1e-4) and the mean KL(F32 || dtype); about 1.5 times what was
 * measured, so a quantizer that got worse fails.
 */
const TOLERANCE: Record<KQuantDtype, { logit: number; kl: number }> = {
  q2_k: { logit: 15, kl: 2.4 },
  q3_k: { logit: 10, kl: 0.8 },
  q4_k: { logit: 4.5, kl: 0.2 },
  q5_k: { logit: 2.25, kl: 0.05 },
  q6_k: { logit: 1.1, kl: 0.015 },
  q4_k_m: { logit: 4.5, kl: 0.2 },
  q5_k_m: { logit: 2.25, kl: 0.05 },
};

const oracle = tinyHf('oracle', 1, { hidden: 512, layers: 4 });
const meanKl = new Map<KQuantDtype, number>();
let dir: string;
let llama: Llama;
/** Per prompt: the F32 greedy path and F32's next-token distribution at each of its positions. */
let reference: { path: number[]; distributions: Map<number, number>[] }[];

async function convert(dtype: GgufDtype) {
  const output = join(dir, `tiny-${dtype}.gguf`);
  const result = await writeHfModelAsGguf(fixture.hf, { output, dtype, probePreTokenizer: false });
  return { output, result };
}

/** Next-token distributions after each prefix prompt + path[0..step). */
async function distributionsAlong(sequence: LlamaSequence, prompt: number[], path: number[]) {
  const distributions: Map<number, number>[] = [];
  for (let step = 0; step < path.length; step++) {
    await sequence.clearHistory();
    distributions.push(await nextTokenProbabilities(sequence, [...prompt, ...path.slice(0, step)]));
  }
  return distributions;
}

function argmax(distribution: Map<number, number>): number {
  let best = -1;
  let bestProbability = -1;
  for (const [token, probability] of distribution) {
    if (probability > bestProbability) [best, bestProbability] = [token, probability];
  }
  return best;
}

/** Worst |logit difference to the top token| error over tokens F32 gives >= 1e-4, and KL(F32 || q). */
function compare(f32: Map<number, number>, quantized: Map<number, number>) {
  let topToken = -1;
  let topProbability = -1;
  for (const [token, probability] of f32) {
    if (probability > topProbability) [topToken, topProbability] = [token, probability];
  }
  const quantizedTop = Math.log(quantized.get(topToken)!);
  let logitError = 0;
  let kl = 0;
  for (const [token, probability] of f32) {
    const other = quantized.get(token) ?? 0;
    if (probability > 0)
      kl += probability * (Math.log(probability) - Math.log(Math.max(other, 1e-30)));
    if (probability < 1e-4) continue;
    const difference =
      Math.log(other) - quantizedTop - (Math.log(probability) - Math.log(topProbability));
    logitError = Math.max(logitError, Math.abs(difference));
  }
  return { logitError, kl };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-kquant-'));
  llama = await loadLlama();
  const { output } = await convert('f32');
  reference = await withModel(llama, output, async (sequence) => {
    const runs = [];
    for (const prompt of PROMPTS) {
      await sequence.clearHistory();
      const path = await greedy(sequence, prompt, STEPS);
      runs.push({ path, distributions: await distributionsAlong(sequence, prompt, path) });
    }
    return runs;
  });
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('K-quant GGUFs under llama.cpp', () => {
  it.each(Object.keys(TOLERANCE) as KQuantDtype[])(
    '%s: llama.cpp loads it and agrees with F32 within the stated bounds',
    async (dtype) => {
      const { output, result } = await convert(dtype);
      expect(result.fallbacks).toEqual([]);
      const file = await openGguf(output);
      let bits = 0;
      let weights = 0;
      const types = new Map<string, string>();
      try {
        for (const tensor of file.tensors) {
          bits += tensor.byteLength * 8;
          weights += tensor.elementCount;
          if (tensor.dims.length > 1) types.set(tensor.name, ggmlTypeName(tensor.type));
        }
      } finally {
        await file.close();
      }
      if (dtype === 'q4_k_m') {
        // 8 layers: useMoreBits picks 0, 3, 6 and 7.
        expect(types.get('blk.3.attn_v.weight')).toBe('Q6_K');
        expect(types.get('blk.4.attn_v.weight')).toBe('Q4_K');
        expect(types.get('blk.7.ffn_down.weight')).toBe('Q6_K');
        expect(types.get('output.weight')).toBe('Q6_K');
        expect(types.get('blk.0.attn_q.weight')).toBe(ggmlTypeName(GgmlType.Q4_K));
      }
      const measured = await withModel(llama, output, async (sequence) => {
        let worstLogit = 0;
        let klSum = 0;
        let positions = 0;
        let agreeing = 0;
        let freeRunning = 0;
        for (const [index, prompt] of PROMPTS.entries()) {
          const { path, distributions } = reference[index]!;
          const quantized = await distributionsAlong(sequence, prompt, path);
          for (let step = 0; step < path.length; step++) {
            const f32 = distributions[step]!;
            const { logitError, kl } = compare(f32, quantized[step]!);
            worstLogit = Math.max(worstLogit, logitError);
            klSum += kl;
            positions++;
            const agrees = argmax(quantized[step]!) === path[step];
            if (agrees) agreeing++;
          }
          await sequence.clearHistory();
          const own = await greedy(sequence, prompt, STEPS);
          freeRunning += own.findIndex((token, step) => token !== path[step]) === -1 ? 1 : 0;
        }
        return { worstLogit, meanKl: klSum / positions, agreeing, positions, freeRunning };
      });
      const { size } = await stat(output);
      console.log(
        JSON.stringify({
          dtype,
          bitsPerWeight: Number((bits / weights).toFixed(3)),
          fileBytes: size,
          maxLogitError: Number(measured.worstLogit.toFixed(4)),
          meanKl: Number(measured.meanKl.toExponential(3)),
          topTokenAgreement: `${measured.agreeing}/${measured.positions}`,
          greedyRunsEqual: `${measured.freeRunning}/${PROMPTS.length}`,
        }),
      );
      expect(measured.worstLogit).toBeLessThan(TOLERANCE[dtype].logit);
      expect(measured.meanKl).toBeLessThan(TOLERANCE[dtype].kl);
      meanKl.set(dtype, measured.meanKl);
    },
  );

  it('more bits give a smaller KL: Q2_K > Q3_K > Q4_K > Q4_K_M > Q5_K > Q5_K_M > Q6_K', () => {
    const order = (['q2_k', 'q3_k', 'q4_k', 'q4_k_m', 'q5_k', 'q5_k_m', 'q6_k'] as const).map(
      (dtype) => meanKl.get(dtype)!,
    );
    expect(order.every((kl) => kl !== undefined)).toBe(true);
    for (let index = 1; index < order.length; index++) {
      expect(order[index]!).toBeLessThan(order[index - 1]!);
    }
  });

  it('rows of 64 values fall back as llama-quantize does, and llama.cpp loads the result', async () => {
    const narrow = tinyHf('random', 2);
    const output = join(dir, 'narrow-q4_k_m.gguf');
    const result = await writeHfModelAsGguf(narrow.hf, {
      output,
      dtype: 'q4_k_m',
      probePreTokenizer: false,
    });
    const fallbackTypes = new Map(result.fallbacks.map((entry) => [entry.tensor, entry.type]));
    expect(fallbackTypes.get('blk.0.attn_q.weight')).toBe('Q5_0');
    // 2 layers: useMoreBits picks layer 1 only.
    expect(fallbackTypes.get('blk.0.ffn_down.weight')).toBe('Q5_0');
    expect(fallbackTypes.get('blk.1.ffn_down.weight')).toBe('Q8_0');
    const file = await openGguf(output);
    try {
      const types = new Map(file.tensors.map((tensor) => [tensor.name, tensor.type]));
      expect(types.get('blk.0.attn_q.weight')).toBe(GgmlType.Q5_0);
      expect(types.get('output.weight')).toBe(GgmlType.Q8_0);
    } finally {
      await file.close();
    }
    const prompt = [
      narrow.bpe.specialTokens['<|begin_of_text|>'],
      ...encodeWithBpe(narrow.bpe, 'The'),
    ];
    await withModel(llama, output, async (sequence) => {
      expect(await greedy(sequence, prompt, 4)).toHaveLength(4);
    });
  });

  it.each(Object.keys(TOLERANCE) as KQuantDtype[])(
    'the oracle (%s) gives its closed-form greedy continuation',
    async (dtype) => {
      const output = join(dir, `oracle-${dtype}.gguf`);
      await writeHfModelAsGguf(oracle.hf, { output, dtype, probePreTokenizer: false });
      const prompt = [
        oracle.bpe.specialTokens['<|begin_of_text|>'],
        ...encodeWithBpe(oracle.bpe, 'The lazy dog'),
      ];
      const expected = oracleContinuation(oracle.successor!, prompt.at(-1)!, 12);
      await withModel(llama, output, async (sequence) => {
        expect(await greedy(sequence, prompt, 12)).toEqual(expected);
      });
    },
  );
});
