/**
 * A ModelV1 over DecoderForward: prompt -> prefill once -> one decode step per token with
 * the sequence's K/V cache kept in kernel memory, concurrent sequences batched by the
 * StepScheduler, the shared sampler, JSON-schema token masks, logprobs, and core's
 * createTokenStream for the spec's stream semantics (max tokens, stop sequences, abort).
 */
import {
  collectStream,
  createTokenStream,
  ModelDisposedError,
  type ModelV1,
  type ModelV1Capability,
  type ModelV1GenerateResult,
  type ModelV1Info,
  type ModelV1StreamResult,
  type NextToken,
  validateCallOptions,
} from '@llmr/core';
import type { KernelBackend, Kernels } from '@llmr/kernels-wasm';
import {
  createJsonConstraint,
  createLogprobFormatter,
  createSampler,
  decoderPrompt,
  type JsonConstraint,
  samplerOptionsFor,
  type TokenVocabulary,
  tokenVocabulary,
} from '@llmr/sampling';
import type { Tokenizer } from '@llmr/tokenizer';
import type { DecoderConfig } from './decoder-config';
import { DecoderForward, type SequenceCache } from './decoder-forward';
import { type DecoderWeights, freeDecoderWeights } from './decoder-weights';
import { StepScheduler, type StepSchedulerStats } from './step-scheduler';

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

export interface SimpleModel extends ModelV1 {
  readonly tokenizer: Tokenizer;
  /** Which kernels run: `wasm-simd` or `typescript`. */
  readonly backend: KernelBackend;
  readonly stats: StepSchedulerStats;
  memoryUsage(): SimpleModelMemory;
}

export function createSimpleModel(settings: SimpleModelSettings): SimpleModel {
  const { tokenizer, config, kernels, weights } = settings;
  const decoder = new DecoderForward(kernels, config, weights);
  const scheduler = new StepScheduler(decoder, {
    modelId: settings.id,
    maxBatchSize: settings.maxBatchSize ?? 8,
    prefillChunk: 64,
  });
  const contextLength = settings.contextLength;
  const eos = [
    ...new Set([
      ...(settings.eos ?? []),
      ...(tokenizer.specialTokens.eos === undefined ? [] : [tokenizer.specialTokens.eos]),
    ]),
  ];
  const chatTemplate = tokenizer.chatTemplate;
  const templateText =
    typeof chatTemplate === 'string' ? chatTemplate : (chatTemplate?.default ?? undefined);
  const capabilities: ModelV1Capability[] = ['completion', 'json-schema', 'logprobs'];
  if (templateText) capabilities.unshift('chat');
  const info: ModelV1Info = {
    id: settings.id,
    format: settings.format,
    architecture: config.architecture,
    contextLength,
    parameterCount: settings.parameterCount,
    ...(settings.quantization ? { quantization: settings.quantization } : {}),
    capabilities,
    ...(templateText ? { chatTemplate: templateText } : {}),
  };
  let vocabulary: TokenVocabulary | undefined;
  const vocabularyOf = () => {
    vocabulary ??= tokenVocabulary(tokenizer, settings.tokenizerJson);
    return vocabulary;
  };
  const liveCaches = new Set<SequenceCache>();
  let disposed = false;
  const disposedError = () => new ModelDisposedError({ modelId: settings.id });

  const logprobOf = createLogprobFormatter(tokenizer, (token) => vocabularyOf().bytes[token]);

  const model: SimpleModel = {
    specificationVersion: 'v1',
    info,
    tokenizer,
    backend: kernels.backend,
    stats: scheduler.stats,

    memoryUsage() {
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

    async doStream(options): Promise<ModelV1StreamResult> {
      if (disposed) throw disposedError();
      validateCallOptions(options);
      const { prompt, room } = decoderPrompt(tokenizer, options, {
        modelId: settings.id,
        runtime: '@llmr/runtime-simple',
        hasChatTemplate: Boolean(templateText),
        contextLength,
      });
      const maxTokens = Math.min(options.maxTokens ?? room, room);
      const sampler = createSampler(samplerOptionsFor(options, settings.generationConfig));
      let constraint: JsonConstraint | undefined;
      if (options.responseFormat?.type === 'json') {
        constraint = createJsonConstraint({
          schema: options.responseFormat.schema,
          vocabulary: vocabularyOf(),
          eos,
          vocabularySize: config.vocabSize,
        });
      }
      const topLogprobs = options.logprobs ? (options.topLogprobs ?? 0) : 0;
      const history = [...prompt];
      // The cache holds the prompt and every token but the last one generated.
      const cache = decoder.createCache(prompt.length + Math.max(maxTokens, 1));
      liveCaches.add(cache);
      let feed: number[] = prompt;
      let step: Promise<unknown> = Promise.resolve();
      scheduler.active++;

      const nextToken = async (): Promise<NextToken | undefined> => {
        if (disposed) throw disposedError();
        if (constraint?.finished) return undefined;
        const running = scheduler.run(cache, feed, options.abortSignal);
        step = running.catch(() => undefined);
        const logits = await running;
        const mask = constraint?.mask();
        // No token can continue the document (a vocabulary without the needed bytes): end here.
        if (mask && !mask.includes(1)) return undefined;
        const sampled = sampler.sample(logits, { history, mask, topLogprobs });
        if (eos.includes(sampled.token)) return undefined;
        constraint?.accept(sampled.token);
        history.push(sampled.token);
        feed = [sampled.token];
        return {
          token: sampled.token,
          ...(options.logprobs
            ? { logprob: logprobOf(sampled.token, sampled.logprob, sampled.topLogprobs) }
            : {}),
        };
      };

      const stream = createTokenStream({
        modelId: settings.id,
        tokenizer,
        inputTokens: prompt.length,
        maxTokens,
        stopSequences: options.stopSequences,
        abortSignal: options.abortSignal,
        nextToken,
        onEnd: () => {
          scheduler.active--;
          liveCaches.delete(cache);
          // A step of this sequence may still be queued: free the cache once it settles.
          void step.then(() => {
            if (!disposed) decoder.freeCache(cache);
          });
        },
        metadata: { runtime: 'simple', kernels: kernels.backend },
      });
      return { stream };
    },

    async doGenerate(options): Promise<ModelV1GenerateResult> {
      if (disposed) throw disposedError();
      const { stream } = await model.doStream(options);
      return collectStream(stream, { modelId: settings.id });
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      scheduler.close();
      for (const cache of liveCaches) decoder.freeCache(cache);
      liveCaches.clear();
      freeDecoderWeights(kernels, weights);
      await settings.close?.();
    },
  };
  return model;
}
