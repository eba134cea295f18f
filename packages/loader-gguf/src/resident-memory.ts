/**
 * The memory llama.cpp holds for one loaded model, from its own accounting: node-llama-cpp
 * reads llama.cpp's memory breakdown (host and device buffers) when a model loads and when
 * a context is created. Weights count what llama.cpp placed (with mmap, pages the OS has
 * not read yet are included, as they will be once the model runs); contexts count their
 * KV cache and compute buffers as allocated, whatever part of the KV cache is in use.
 */
import type { ModelV1Resources } from '@llmr/core';
import type { LlamaContext, LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';

interface MemoryUsage {
  ram: number;
  vram: number;
}

/**
 * node-llama-cpp keeps the embedding context's underlying context private; its memory is
 * real all the same, so it is read where it is, and counted as 0 should that change.
 */
function embeddingUsage(embedder: LlamaEmbeddingContext | undefined): MemoryUsage | undefined {
  const inner = (embedder as unknown as { _llamaContext?: { memoryUsage?: MemoryUsage } })
    ?._llamaContext;
  return inner?.memoryUsage;
}

export function residentMemory(
  model: LlamaModel,
  context: LlamaContext,
  embedder: LlamaEmbeddingContext | undefined,
): ModelV1Resources {
  const weights = model.memoryUsage;
  const contexts = [context.memoryUsage, embeddingUsage(embedder)].filter(
    (usage): usage is MemoryUsage => usage !== undefined,
  );
  const contextBytes = contexts.reduce((sum, usage) => sum + usage.ram + usage.vram, 0);
  const weightBytes = weights.ram + weights.vram;
  return {
    total: weightBytes + contextBytes,
    weights: weightBytes,
    contexts: contextBytes,
    gpu: weights.vram + contexts.reduce((sum, usage) => sum + usage.vram, 0),
  };
}
