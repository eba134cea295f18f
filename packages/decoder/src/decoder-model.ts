/**
 * A ModelV1 over a decoder graph session with Optimum's KV-cache convention, whatever runs
 * it (ONNX Runtime through loader-onnx, TF.js through loader-tfjs): prompt -> prefill once -> one decode step per
 * token with the KV cache carried across steps (the prefix is never recomputed), the
 * shared sampler, JSON-schema token masks, logprobs, and the spec's stream semantics
 * from core's createTokenStream (exact max tokens, stop sequences, abort, usage).
 */
import {
  collectStream,
  createTokenStream,
  type EngineSessionV1,
  ModelDisposedError,
  type ModelV1,
  type ModelV1Capability,
  type ModelV1GenerateResult,
  type ModelV1Info,
  type ModelV1StreamResult,
  type NextToken,
  validateCallOptions,
} from '@llmr/core';
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
import { DecodeScheduler, type DecodeSchedulerStats } from './decode-scheduler';
import { decoderLayout, type KvCache, KvDecoder } from './kv-decoder';

export interface DecoderModelSettings {
  id: string;
  /** The model's config.json. */
  config: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  tokenizer: Tokenizer;
  /** The parsed tokenizer.json (token bytes for constrained decoding). */
  tokenizerJson?: Record<string, unknown>;
  session: EngineSessionV1;
  /** The model's format in `info.format` and the prefix of error codes. Default `onnx`. */
  format?: string;
  /** The package that runs it, named in prompt errors. Default `@llmr/loader-onnx`. */
  runtime?: string;
  /** Name of the engine the session runs on (reported in metadata). */
  engineName: string;
  /** The graph file's name (dtype guesses, messages). */
  fileName: string;
  contextLength?: number;
  quantization?: string;
  /** Batch concurrent decode steps into one run. Default true (off when the KV cache stays on a GPU). */
  batching?: boolean;
  maxBatchSize?: number;
  /** Where the KV cache lives between steps. */
  kvCacheLocation?: 'cpu' | 'gpu-buffer';
}

export interface DecoderModel extends ModelV1 {
  readonly tokenizer: Tokenizer;
  /** Counts of engine runs and batches (how well batching works). */
  readonly stats: DecodeSchedulerStats;
}

function eosIds(settings: DecoderModelSettings): number[] {
  const ids = new Set<number>();
  for (const source of [settings.generationConfig?.eos_token_id, settings.config.eos_token_id]) {
    for (const id of Array.isArray(source) ? source : [source])
      if (typeof id === 'number') ids.add(id);
  }
  const eos = settings.tokenizer.specialTokens.eos;
  if (eos !== undefined) ids.add(eos);
  return [...ids];
}

export function createDecoderModel(settings: DecoderModelSettings): DecoderModel {
  const { tokenizer, config } = settings;
  const format = settings.format ?? 'onnx';
  const layout = decoderLayout(settings.session, config, settings.fileName, format);
  const vocabularySize =
    (typeof config.vocab_size === 'number' ? config.vocab_size : undefined) ??
    tokenizer.vocabularySize;
  const decoder = new KvDecoder(settings.session, layout, vocabularySize);
  const kvCacheLocation = settings.kvCacheLocation ?? 'cpu';
  const scheduler = new DecodeScheduler(decoder, {
    batching: (settings.batching ?? true) && kvCacheLocation === 'cpu',
    maxBatchSize: settings.maxBatchSize ?? 8,
    modelId: settings.id,
  });
  const contextLength =
    settings.contextLength ??
    (typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 2048);
  const eos = eosIds(settings);
  const chatTemplate = tokenizer.chatTemplate;
  const capabilities: ModelV1Capability[] = ['completion', 'json-schema', 'logprobs'];
  if (chatTemplate) capabilities.unshift('chat');
  const info: ModelV1Info = {
    id: settings.id,
    format,
    ...(typeof config.model_type === 'string' ? { architecture: config.model_type } : {}),
    contextLength,
    ...(settings.quantization ? { quantization: settings.quantization } : {}),
    capabilities,
    ...(typeof chatTemplate === 'string'
      ? { chatTemplate }
      : chatTemplate?.default
        ? { chatTemplate: chatTemplate.default }
        : {}),
  };
  let vocabulary: TokenVocabulary | undefined;
  const vocabularyOf = () => {
    vocabulary ??= tokenVocabulary(tokenizer, settings.tokenizerJson);
    return vocabulary;
  };
  let disposed = false;
  const disposedError = () => new ModelDisposedError({ modelId: settings.id });

  const logprobOf = createLogprobFormatter(tokenizer, (token) => vocabularyOf().bytes[token]);

  const model: DecoderModel = {
    specificationVersion: 'v1',
    info,
    tokenizer,
    stats: scheduler.stats,

    async doStream(options): Promise<ModelV1StreamResult> {
      if (disposed) throw disposedError();
      validateCallOptions(options);
      const { prompt, room } = decoderPrompt(tokenizer, options, {
        modelId: settings.id,
        runtime: settings.runtime ?? '@llmr/loader-onnx',
        hasChatTemplate: Boolean(chatTemplate),
        contextLength,
      });
      const sampler = createSampler(samplerOptionsFor(options, settings.generationConfig));
      let constraint: JsonConstraint | undefined;
      if (options.responseFormat?.type === 'json') {
        constraint = createJsonConstraint({
          schema: options.responseFormat.schema,
          vocabulary: vocabularyOf(),
          eos,
          vocabularySize,
        });
      }
      const topLogprobs = options.logprobs ? (options.topLogprobs ?? 0) : 0;
      const history = [...prompt];
      const cache: KvCache = { past: undefined, length: 0 };
      let feed: number[] = prompt;
      scheduler.active++;

      const nextToken = async (): Promise<NextToken | undefined> => {
        if (disposed) throw disposedError();
        if (constraint?.finished) return undefined;
        const logits = await scheduler.run({ cache, tokens: feed }, options.abortSignal);
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
        maxTokens: Math.min(options.maxTokens ?? room, room),
        stopSequences: options.stopSequences,
        abortSignal: options.abortSignal,
        nextToken,
        onEnd: () => {
          scheduler.active--;
          decoder.closeCache(cache);
        },
        metadata: { engine: settings.engineName, kvCache: kvCacheLocation },
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
      await settings.session.release();
    },
  };
  return model;
}
