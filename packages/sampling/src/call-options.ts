/**
 * The steps between a ModelV1 call and the sampler that every runtime computing its own
 * logits repeats: the prompt's token ids (raw or through the chat template), sampler
 * options from the call with a Hugging Face generation_config.json as defaults, and
 * logprob entries in the spec's shape.
 */
import {
  InvalidArgumentError,
  type ModelV1CallOptions,
  type ModelV1Logprob,
  type TokenizerV1,
  UnsupportedFunctionalityError,
} from '@llmr/core';
import type { SamplerOptions, TokenLogprob } from './sampler';

/** The prompt as token ids: messages through the chat template, or the raw prompt. */
export function promptTokens(
  tokenizer: TokenizerV1,
  options: ModelV1CallOptions,
  settings: { modelId: string; hasChatTemplate: boolean },
): number[] {
  if (options.messages) {
    if (!tokenizer.applyChatTemplate || !settings.hasChatTemplate) {
      throw new UnsupportedFunctionalityError({
        functionality: 'chat',
        message: `Model "${settings.modelId}" has no chat template (tokenizer_config.json chat_template, or tokenizer.chat_template in GGUF); pass a raw \`prompt\` instead.`,
      });
    }
    const text = tokenizer.applyChatTemplate(options.messages, { addGenerationPrompt: true });
    return tokenizer.encode(text, { addSpecialTokens: false });
  }
  return tokenizer.encode(options.prompt ?? '');
}

/**
 * Sampler options for a call. Where the call says nothing, a generation config with
 * `do_sample: true` supplies temperature, top-k and top-p; otherwise decoding is greedy.
 */
export function samplerOptionsFor(
  options: ModelV1CallOptions,
  generationConfig: Record<string, unknown> = {},
): SamplerOptions {
  const sampleByDefault = generationConfig.do_sample === true;
  const fromConfig = (key: string) =>
    sampleByDefault && typeof generationConfig[key] === 'number'
      ? (generationConfig[key] as number)
      : undefined;
  return {
    temperature: options.temperature ?? (sampleByDefault ? (fromConfig('temperature') ?? 1) : 0),
    topK: options.topK ?? fromConfig('top_k'),
    topP: options.topP ?? fromConfig('top_p'),
    minP: options.minP,
    repetitionPenalty:
      options.repetitionPenalty ??
      (typeof generationConfig.repetition_penalty === 'number'
        ? generationConfig.repetition_penalty
        : undefined),
    frequencyPenalty: options.frequencyPenalty,
    presencePenalty: options.presencePenalty,
    seed: options.seed,
  };
}

/** Builds the spec's logprob entries: each token's text, logprob and bytes, with alternatives. */
export function createLogprobFormatter(
  tokenizer: TokenizerV1,
  bytesOf: (token: number) => Uint8Array | undefined,
): (token: number, logprob: number, top?: readonly TokenLogprob[]) => ModelV1Logprob {
  const entry = (id: number, value: number) => {
    const bytes = bytesOf(id);
    return {
      token: tokenizer.decode([id], { skipSpecialTokens: false }),
      logprob: value,
      ...(bytes ? { bytes: [...bytes] } : {}),
    };
  };
  return (token, logprob, top = []) => ({
    ...entry(token, logprob),
    topLogprobs: top.map((alternative) => entry(alternative.token, alternative.logprob)),
  });
}

/**
 * How every local decoder loop starts a call: refuse tools and grammars (it has neither),
 * encode the prompt, and check it is not empty and leaves room in the context.
 */
export function decoderPrompt(
  tokenizer: TokenizerV1,
  options: ModelV1CallOptions,
  settings: { modelId: string; runtime: string; hasChatTemplate: boolean; contextLength: number },
): { prompt: number[]; room: number } {
  const { modelId, runtime, contextLength } = settings;
  if (options.tools?.length && options.toolChoice?.type !== 'none') {
    throw new UnsupportedFunctionalityError({
      functionality: 'tools',
      message: `Model "${modelId}" (${runtime}) does not call tools; use responseFormat { type: 'json', schema } for structured output.`,
    });
  }
  if (options.responseFormat?.type === 'grammar') {
    throw new UnsupportedFunctionalityError({
      functionality: 'grammar',
      message: `Grammar-constrained output is not supported by ${runtime}; use a JSON schema.`,
    });
  }
  const prompt = promptTokens(tokenizer, options, settings);
  if (prompt.length === 0)
    throw new InvalidArgumentError({
      argument: 'prompt',
      message: 'The prompt encodes to no tokens.',
    });
  const room = contextLength - prompt.length;
  if (room <= 0) {
    throw new InvalidArgumentError({
      argument: options.messages ? 'messages' : 'prompt',
      value: prompt.length,
      message: `The prompt is ${prompt.length} tokens; model "${modelId}" has a context of ${contextLength} tokens. Shorten it.`,
    });
  }
  return { prompt, room };
}
