/**
 * Running a converted GGUF under real llama.cpp (node-llama-cpp's prebuilt CPU binary) for
 * the converter's tests: one thread, an F32 KV cache and no flash attention, so F32
 * weights are compared with nothing rounded to F16 on the way.
 */
import { float16BitsToFloat32, float32ToFloat16Bits } from '@llmr/gguf';
import { getLlama, type Llama } from 'node-llama-cpp';

/**
 * GELU as llama.cpp's CPU backend computes it (ggml's GGML_GELU_FP16): the input rounded to
 * F16, looked up in a table of F16 results of the tanh approximation; exact past +-10.
 * Gemma's F32 GGUF can agree with a reference to 1e-4 only through this same rounding.
 */
export function ggmlCpuGelu(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return x;
  const input = float16BitsToFloat32(float32ToFloat16Bits(x));
  const gelu =
    0.5 * input * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * input * (1 + 0.044715 * input * input)));
  return float16BitsToFloat32(float32ToFloat16Bits(gelu));
}

export async function loadLlama(): Promise<Llama> {
  return getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
}

async function open(llama: Llama, path: string, contextSize: number) {
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize,
    threads: 1,
    batchSize: 256,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    flashAttention: false,
  });
  return { model, context, sequence: context.getSequence() };
}

export type LlamaSequence = Awaited<ReturnType<typeof open>>['sequence'];
export type LlamaModel = Awaited<ReturnType<typeof open>>['model'];

export async function withModel<T>(
  llama: Llama,
  path: string,
  use: (sequence: LlamaSequence, model: LlamaModel) => Promise<T>,
  contextSize = 256,
): Promise<T> {
  const { model, context, sequence } = await open(llama, path, contextSize);
  try {
    return await use(sequence, model);
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

export async function greedy(sequence: LlamaSequence, prompt: number[], steps: number) {
  const out: number[] = [];
  for await (const token of sequence.evaluate(prompt as never, { temperature: 0 })) {
    out.push(token as number);
    if (out.length >= steps) break;
  }
  return out;
}

/** llama.cpp's next-token distribution after `prompt`, unfiltered (temperature 1, no top-k/p). */
export async function nextTokenProbabilities(
  sequence: LlamaSequence,
  prompt: readonly number[],
): Promise<Map<number, number>> {
  // A sampled end-of-generation token ends the generator before it yields: the distribution
  // does not depend on the sample, so sample again with another seed.
  for (let seed = 1; seed <= 8; seed++) {
    if (seed > 1) await sequence.clearHistory();
    const generator = sequence.evaluateWithMetadata(
      prompt as never,
      { probabilities: true },
      { temperature: 1, topK: 0, topP: 1, minP: 0, seed },
    );
    const first = await generator.next();
    await generator.return(undefined);
    if (first.value) return (first.value as { probabilities: Map<number, number> }).probabilities;
  }
  throw new Error('llama.cpp ended generation before the first token on 8 seeds');
}

/**
 * llama.cpp's next-token distribution after `prompt` against reference logits: the worst
 * error of logit differences to the top token (log p_i - log p_top), over the tokens with
 * probability >= 1e-4. Differences, because llama.cpp normalises over what its sampler
 * keeps, so absolute log-probabilities may carry a constant shift; logit differences may
 * not. Also the error relative to the reference's logit range.
 */
export async function compareNextToken(
  sequence: LlamaSequence,
  prompt: number[],
  reference: Float64Array,
): Promise<{ worst: number; relative: number; compared: number }> {
  const max = Math.max(...reference);
  const range = max - Math.min(...reference);
  const probabilities = await nextTokenProbabilities(sequence, prompt);
  const top = reference.indexOf(max);
  const topLog = Math.log(probabilities.get(top)!);
  let worst = 0;
  let compared = 0;
  for (const [token, probability] of probabilities) {
    if (probability < 1e-4) continue;
    compared++;
    worst = Math.max(worst, Math.abs(Math.log(probability) - topLog - (reference[token]! - max)));
  }
  return { worst, relative: worst / range, compared };
}
