/**
 * Opening a GGUF on real llama.cpp (node-llama-cpp's prebuilt CPU binary) for the converter's
 * checks: an F32 KV cache and no flash attention (which rounds Q, K and V to F16 on CPU), so
 * weights are compared with nothing else rounded on the way.
 */
import type { Llama, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';

export async function withLlamaModel<T>(
  llama: Llama,
  path: string,
  use: (sequence: LlamaContextSequence, model: LlamaModel) => Promise<T>,
): Promise<T> {
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: 256,
    threads: 1,
    batchSize: 256,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    flashAttention: false,
  });
  try {
    return await use(context.getSequence(), model);
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

/** `steps` greedy tokens after `prompt`. */
export async function greedyTokens(
  sequence: LlamaContextSequence,
  prompt: readonly number[],
  steps: number,
): Promise<number[]> {
  const out: number[] = [];
  for await (const token of sequence.evaluate(prompt as never, { temperature: 0 })) {
    out.push(token as number);
    if (out.length >= steps) break;
  }
  return out;
}
