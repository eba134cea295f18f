/**
 * A ModelV1 over DecoderForward: the generation loop of @llmr/decoder (prefill once, one
 * decode step per token, concurrent sequences batched, the shared sampler, JSON-schema
 * masks, logprobs, core's stream semantics) with SimpleStepper as its forward pass and
 * each sequence's K/V cache kept in kernel memory.
 */
import { createGenerationModel, type GenerationModel } from '@llmr/decoder';
import type { KernelBackend, Kernels } from '@llmr/kernels-wasm';
import type { Tokenizer } from '@llmr/tokenizer';
import type { DecoderConfig } from './decoder-config';
import { DecoderForward, type SequenceCache } from './decoder-forward';
import { type DecoderWeights, freeDecoderWeights } from './decoder-weights';
import { SimpleStepper } from './simple-stepper';

export interface SimpleModelSettings {
  id: string;
  format: 'gguf' | 'safetensors';
  config: DecoderConfig;
  tokenizer: Tokenizer;
  /** tokenizer.json (parsed), for the token bytes of constrained decoding. */
  tokenizerJson?: Record<string, unknown>;
  kernels: Kernels;
  weights: DecoderWeights;
  /** Tokens of context per sequence. */
  contextLength: number;
  parameterCount: number;
  quantization?: string;
  /** End-of-sequence ids besides the tokenizer's own. */
  eos?: readonly number[];
  /** Hugging Face generation_config.json: sampling defaults. */
  generationConfig?: Record<string, unknown>;
  /** Closes the weight source (a file handle) on dispose. */
  close?: () => Promise<void>;
  /** Most decode steps in one batch (default 8). */
  maxBatchSize?: number;
}

export interface SimpleModelMemory {
  backend: KernelBackend;
  /** Weights in kernel memory. */
  weightsBytes: number;
  /** K/V caches of live sequences. */
  kvCacheBytes: number;
  /** All live kernel allocations. */
  allocatedBytes: number;
  peakBytes: number;
  /** The linear memory's size (what the process holds for the kernels). */
  capacityBytes: number;
}

export interface SimpleModel extends GenerationModel {
  /** Which kernels run: `wasm-simd` or `typescript`. */
  readonly backend: KernelBackend;
  memoryUsage(): SimpleModelMemory;
}

export function createSimpleModel(settings: SimpleModelSettings): SimpleModel {
  const { tokenizer, config, kernels, weights } = settings;
  const decoder = new DecoderForward(kernels, config, weights);
  const eos = [
    ...new Set([
      ...(settings.eos ?? []),
      ...(tokenizer.specialTokens.eos === undefined ? [] : [tokenizer.specialTokens.eos]),
    ]),
  ];
  const liveCaches = new Set<SequenceCache>();
  let disposed = false;

  const model = createGenerationModel<SequenceCache>({
    info: {
      id: settings.id,
      format: settings.format,
      architecture: config.architecture,
      contextLength: settings.contextLength,
      parameterCount: settings.parameterCount,
      ...(settings.quantization ? { quantization: settings.quantization } : {}),
    },
    tokenizer,
    ...(settings.tokenizerJson ? { tokenizerJson: settings.tokenizerJson } : {}),
    ...(settings.generationConfig ? { generationConfig: settings.generationConfig } : {}),
    eos,
    vocabularySize: config.vocabSize,
    runtime: '@llmr/runtime-simple',
    stepper: new SimpleStepper(decoder, 64),
    batching: true,
    maxBatchSize: settings.maxBatchSize ?? 8,
    // The cache holds the prompt and every token but the last one generated.
    createCache: (promptLength, maxTokens) => {
      const cache = decoder.createCache(promptLength + Math.max(maxTokens, 1));
      liveCaches.add(cache);
      return cache;
    },
    closeCache: (cache, lastStep) => {
      liveCaches.delete(cache);
      // A step of this sequence may still be queued: free the cache once it settles.
      void lastStep.then(() => {
        if (!disposed) decoder.freeCache(cache);
      });
    },
    metadata: { runtime: 'simple', kernels: kernels.backend },
    async release() {
      disposed = true;
      for (const cache of liveCaches) decoder.freeCache(cache);
      liveCaches.clear();
      freeDecoderWeights(kernels, weights);
      await settings.close?.();
    },
  });

  return Object.assign(model, {
    backend: kernels.backend,
    memoryUsage(): SimpleModelMemory {
      const stats = kernels.memory.stats;
      let kvCacheBytes = 0;
      for (const cache of liveCaches)
        kvCacheBytes += cache.capacity * decoder.cacheBytesPerPosition;
      return {
        backend: kernels.backend,
        weightsBytes: weights.bytes,
        kvCacheBytes,
        allocatedBytes: stats.allocatedBytes,
        peakBytes: stats.peakBytes,
        capacityBytes: stats.capacityBytes,
      };
    },
  });
}
