/**
 * A ModelV1 over a decoder graph session with Optimum's KV-cache convention, whatever runs
 * it (ONNX Runtime through loader-onnx, TF.js through loader-tfjs): the graph's layout and
 * a KvDecoder over the session, generating through the shared loop of createGenerationModel.
 */
import type { EngineSessionV1 } from '@llmr/core';
import type { Tokenizer } from '@llmr/tokenizer';
import { createGenerationModel, type GenerationModel } from './generation-model';
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

export type DecoderModel = GenerationModel;

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
  const contextLength =
    settings.contextLength ??
    (typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 2048);
  return createGenerationModel<KvCache>({
    info: {
      id: settings.id,
      format,
      ...(typeof config.model_type === 'string' ? { architecture: config.model_type } : {}),
      contextLength,
      ...(settings.quantization ? { quantization: settings.quantization } : {}),
    },
    tokenizer,
    ...(settings.tokenizerJson ? { tokenizerJson: settings.tokenizerJson } : {}),
    ...(settings.generationConfig ? { generationConfig: settings.generationConfig } : {}),
    eos: eosIds(settings),
    vocabularySize,
    runtime: settings.runtime ?? '@llmr/loader-onnx',
    // Any template, named ones without a default included, lets prompts be messages.
    hasChatTemplate: Boolean(tokenizer.chatTemplate),
    stepper: decoder,
    batching: (settings.batching ?? true) && kvCacheLocation === 'cpu',
    maxBatchSize: settings.maxBatchSize ?? 8,
    createCache: () => ({ past: undefined, length: 0 }),
    // A step still in flight frees its outputs itself once the cache is closed.
    closeCache: (cache) => decoder.closeCache(cache),
    metadata: { engine: settings.engineName, kvCache: kvCacheLocation },
    release: () => settings.session.release(),
  });
}
