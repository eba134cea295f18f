/**
 * A ModelV1 over any SequenceStepper: prompt -> prefill once -> one decode step per token
 * with the sequence's cache carried across steps (the prefix is never recomputed),
 * concurrent sequences batched by the DecodeScheduler, the shared sampler, JSON-schema
 * token masks, logprobs, and the spec's stream semantics from core's createTokenStream
 * (exact max tokens, stop sequences, abort, usage). What differs between runtimes (the
 * forward pass, how a cache is made and freed, what metadata says) comes in the settings.
 */
import {
  type CreateTokenStreamOptions,
  createTokenStream,
  generateTokens,
  ModelDisposedError,
  type ModelV1,
  type ModelV1CallOptions,
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
import type { SequenceStepper } from './sequence-stepper';

export interface GenerationModelSettings<Cache> {
  /** The model's info without `capabilities` and `chatTemplate`, which come from the tokenizer. */
  info: Omit<ModelV1Info, 'capabilities' | 'chatTemplate'> & { contextLength: number };
  tokenizer: Tokenizer;
  /** The parsed tokenizer.json (token bytes for constrained decoding). */
  tokenizerJson?: Record<string, unknown>;
  /** Hugging Face generation_config.json: sampling defaults. */
  generationConfig?: Record<string, unknown>;
  /** Token ids that end a sequence. */
  eos: readonly number[];
  /** Width of a logits row. */
  vocabularySize: number;
  /** The package that runs it, named in prompt errors. */
  runtime: string;
  /**
   * Whether prompts may be chat messages. Default: the tokenizer has a template text (a
   * string, or a set of templates with a default).
   */
  hasChatTemplate?: boolean;
  stepper: SequenceStepper<Cache>;
  /** Batch concurrent decode steps into one pass. */
  batching: boolean;
  maxBatchSize: number;
  /** A cache for a new request of `promptLength` tokens that may generate `maxTokens` more. */
  createCache(promptLength: number, maxTokens: number): Cache;
  /**
   * The request is over. `lastStep` settles once no step of it is queued or running: a
   * cache that a step may still write to is freed after it.
   */
  closeCache(cache: Cache, lastStep: Promise<void>): void;
  /** The `metadata` of the stream's finish part. */
  metadata: Record<string, unknown>;
  /** Frees what the model holds (after the scheduler has closed). */
  release(): Promise<void> | void;
}

export interface GenerationModel extends ModelV1 {
  readonly tokenizer: Tokenizer;
  /** Counts of scheduler runs and batches (how well batching works). */
  readonly stats: DecodeSchedulerStats;
}

export function createGenerationModel<Cache>(
  settings: GenerationModelSettings<Cache>,
): GenerationModel {
  const { tokenizer, eos, vocabularySize } = settings;
  const modelId = settings.info.id;
  const contextLength = settings.info.contextLength;
  const scheduler = new DecodeScheduler<Cache>(settings.stepper, {
    batching: settings.batching,
    maxBatchSize: settings.maxBatchSize,
    modelId,
  });
  const chatTemplate = tokenizer.chatTemplate;
  const templateText =
    typeof chatTemplate === 'string' ? chatTemplate : (chatTemplate?.default ?? undefined);
  const hasChatTemplate = settings.hasChatTemplate ?? Boolean(templateText);
  const capabilities: ModelV1Capability[] = ['completion', 'json-schema', 'logprobs'];
  if (hasChatTemplate) capabilities.unshift('chat');
  const info: ModelV1Info = {
    ...settings.info,
    capabilities,
    ...(templateText ? { chatTemplate: templateText } : {}),
  };
  let vocabulary: TokenVocabulary | undefined;
  const vocabularyOf = () => {
    vocabulary ??= tokenVocabulary(tokenizer, settings.tokenizerJson);
    return vocabulary;
  };
  let disposed = false;
  const disposedError = () => new ModelDisposedError({ modelId });

  const logprobOf = createLogprobFormatter(tokenizer, (token) => vocabularyOf().bytes[token]);

  /** One call's token loop: streamed by `doStream`, run to its end by `doGenerate`. */
  const tokenLoop = (options: ModelV1CallOptions): CreateTokenStreamOptions => {
    if (disposed) throw disposedError();
    validateCallOptions(options);
    const { prompt, room } = decoderPrompt(tokenizer, options, {
      modelId,
      runtime: settings.runtime,
      hasChatTemplate,
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
        vocabularySize,
      });
    }
    const topLogprobs = options.logprobs ? (options.topLogprobs ?? 0) : 0;
    const history = [...prompt];
    const cache = settings.createCache(prompt.length, maxTokens);
    let feed: number[] = prompt;
    let lastStep: Promise<void> = Promise.resolve();
    scheduler.active++;

    const nextToken = async (): Promise<NextToken | undefined> => {
      if (disposed) throw disposedError();
      if (constraint?.finished) return undefined;
      const running = scheduler.run({ cache, tokens: feed }, options.abortSignal);
      lastStep = running.then(
        () => undefined,
        () => undefined,
      );
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

    return {
      modelId,
      tokenizer,
      inputTokens: prompt.length,
      maxTokens,
      stopSequences: options.stopSequences,
      abortSignal: options.abortSignal,
      nextToken,
      onEnd: () => {
        scheduler.active--;
        settings.closeCache(cache, lastStep);
      },
      metadata: settings.metadata,
    };
  };

  const model: GenerationModel = {
    specificationVersion: 'v1',
    info,
    tokenizer,
    stats: scheduler.stats,

    async doStream(options): Promise<ModelV1StreamResult> {
      return { stream: createTokenStream(tokenLoop(options)) };
    },

    async doGenerate(options): Promise<ModelV1GenerateResult> {
      // The same loop without a stream between the steps and the result.
      return generateTokens(tokenLoop(options));
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      scheduler.close();
      await settings.release();
    },
  };
  return model;
}
