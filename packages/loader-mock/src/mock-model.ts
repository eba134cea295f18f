/**
 * A deterministic ModelV1 with no neural network: scripted replies, echo, or seeded
 * pseudo-text, one byte-token at a time, with configurable latency and failures.
 * The router and server tests use its failure modes; it passes the conformance kit.
 */
import {
  type CreateTokenStreamOptions,
  createSeededRandom,
  createTokenStream,
  delay,
  GenerationError,
  generateTokens,
  hashString,
  InvalidArgumentError,
  ModelDisposedError,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1Capability,
  type ModelV1EmbedOptions,
  type ModelV1EmbedResult,
  type ModelV1GenerateResult,
  throwIfAborted,
  validateCallOptions,
} from '@llmr/core';
import { createByteTokenizer, renderChat } from './byte-tokenizer';

export type MockMode = 'echo' | 'script' | 'random';
export const MOCK_MODES: readonly MockMode[] = ['echo', 'script', 'random'];

export interface MockReply {
  /** The reply is used when the prompt contains this text; no `match` means always. */
  match?: string;
  text: string;
}

export interface MockModelSettings {
  id?: string;
  /** `random` (default): endless seeded pseudo-text; `echo`: the last user message; `script`: `replies`. */
  mode?: MockMode;
  replies?: (MockReply | string)[];
  /** Mixed with each call's seed; different model seeds give different text. */
  seed?: number;
  words?: string[];
  contextLength?: number;
  /** Milliseconds before the first token and between tokens; abortable. */
  latency?: { firstTokenMs?: number; tokenMs?: number; loadMs?: number };
  /** Fail (retryable GenerationError) after emitting this many tokens. */
  failAfterTokens?: number;
  /** The first N calls fail before producing anything. */
  failFirstCalls?: number;
  /** Never produce the next token (until aborted). */
  hang?: 'before-first-token' | 'after-first-token';
  embeddingDimensions?: number;
}

const DEFAULT_WORDS = (
  'the a model token stream runs fast small quiet river light over under green stone ' +
  'paper engine route cache byte graph layer north sound window garden number signal'
).split(' ');

const never = (signal?: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

export function createMockModel(settings: MockModelSettings = {}): ModelV1 {
  const tokenizer = createByteTokenizer();
  const mode = settings.mode ?? 'random';
  const id = settings.id ?? `mock-${mode}`;
  const contextLength = settings.contextLength ?? 4096;
  const words = settings.words?.length ? settings.words : DEFAULT_WORDS;
  const replies: MockReply[] = (settings.replies ?? []).map((reply) =>
    typeof reply === 'string' ? { text: reply } : reply,
  );
  let disposed = false;
  let calls = 0;
  const capabilities: ModelV1Capability[] = ['chat', 'completion', 'embeddings', 'logprobs'];

  function promptOf(options: ModelV1CallOptions): string {
    return options.messages ? renderChat(options.messages) : options.prompt;
  }

  /** The text this call will produce, as a lazy generator of chunks. */
  function* replyText(options: ModelV1CallOptions, prompt: string): Generator<string> {
    if (mode === 'echo') {
      const lastUser = options.messages?.filter((message) => message.role === 'user').at(-1);
      yield lastUser ? lastUser.content : (options.prompt ?? '');
      return;
    }
    if (mode === 'script') {
      const reply = replies.find(
        (candidate) => candidate.match === undefined || prompt.includes(candidate.match),
      );
      yield reply?.text ?? '';
      return;
    }
    // Greedy (temperature 0) ignores the seed, as a real model does.
    const callSeed =
      (options.temperature ?? 1) === 0 ? 0 : (options.seed ?? Math.floor(Math.random() * 2 ** 31));
    const random = createSeededRandom(
      hashString(prompt) ^ Math.imul(callSeed, 2654435761) ^ (settings.seed ?? 0),
    );
    while (true) yield `${words[Math.floor(random() * words.length)]} `;
  }

  /** One call's token loop: streamed by `doStream`, run to its end by `doGenerate`. */
  function start(options: ModelV1CallOptions): CreateTokenStreamOptions {
    if (disposed) throw new ModelDisposedError({ modelId: id });
    validateCallOptions(options);
    throwIfAborted(options.abortSignal);
    const call = calls++;
    if (settings.failFirstCalls !== undefined && call < settings.failFirstCalls) {
      throw new GenerationError({
        modelId: id,
        code: 'mock-failure',
        isRetryable: true,
        message: `Mock model "${id}" failed call ${call + 1} of the first ${settings.failFirstCalls} by design.`,
      });
    }
    const prompt = promptOf(options);
    const inputTokens = tokenizer.encode(prompt).length;
    if (inputTokens >= contextLength) {
      throw new InvalidArgumentError({
        argument: 'prompt',
        value: inputTokens,
        message: `The prompt has ${inputTokens} tokens; model "${id}" has a context of ${contextLength}. Shorten the prompt.`,
      });
    }
    const maxTokens = Math.min(options.maxTokens ?? contextLength, contextLength - inputTokens);
    const chunks = replyText(options, prompt);
    const encoder = new TextEncoder();
    let pending: number[] = [];
    let produced = 0;
    const signal = options.abortSignal;

    return {
      modelId: id,
      tokenizer,
      inputTokens,
      maxTokens,
      stopSequences: options.stopSequences,
      abortSignal: signal,
      metadata: { mode },
      async nextToken() {
        if (disposed) throw new ModelDisposedError({ modelId: id });
        const wait = produced === 0 ? settings.latency?.firstTokenMs : settings.latency?.tokenMs;
        if (wait) await delay(wait, signal);
        if (settings.hang === 'before-first-token' && produced === 0) await never(signal);
        if (settings.hang === 'after-first-token' && produced === 1) await never(signal);
        if (settings.failAfterTokens !== undefined && produced >= settings.failAfterTokens) {
          throw new GenerationError({
            modelId: id,
            code: 'mock-failure',
            isRetryable: true,
            message: `Mock model "${id}" failed after ${produced} tokens by design.`,
          });
        }
        while (pending.length === 0) {
          const next = chunks.next();
          if (next.done) return undefined;
          pending = Array.from(encoder.encode(next.value));
        }
        produced++;
        const token = pending.shift()!;
        return options.logprobs
          ? {
              token,
              logprob: {
                token: String.fromCharCode(token),
                logprob: Math.log(0.9),
                bytes: [token],
                topLogprobs: [],
              },
            }
          : { token };
      },
    };
  }

  return {
    specificationVersion: 'v1',
    info: {
      id,
      format: 'mock',
      architecture: 'mock',
      contextLength,
      parameterCount: 0,
      capabilities,
    },
    tokenizer,

    async doStream(options) {
      return { stream: createTokenStream(start(options)) };
    },

    async doGenerate(options): Promise<ModelV1GenerateResult> {
      return generateTokens(start(options));
    },

    async doEmbed({ values, abortSignal }: ModelV1EmbedOptions): Promise<ModelV1EmbedResult> {
      if (disposed) throw new ModelDisposedError({ modelId: id });
      throwIfAborted(abortSignal);
      const dimensions = settings.embeddingDimensions ?? 16;
      let inputTokens = 0;
      const embeddings = values.map((value) => {
        inputTokens += tokenizer.encode(value).length;
        const random = createSeededRandom(hashString(value) ^ (settings.seed ?? 0));
        const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
        const norm = Math.hypot(...vector) || 1;
        return vector.map((component) => component / norm);
      });
      return { embeddings, usage: { inputTokens } };
    },

    async dispose() {
      disposed = true;
    },
  };
}
