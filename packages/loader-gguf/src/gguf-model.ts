/**
 * A GGUF model running on llama.cpp: one context with several sequences (requests
 * decode in parallel, batched by node-llama-cpp), prompt-prefix KV reuse, sampling,
 * grammars and JSON schemas, tools, logprobs, embeddings.
 */
import {
  type CreateTokenStreamOptions,
  collectStream,
  createTokenStream,
  generateTokens,
  InvalidArgumentError,
  ModelDisposedError,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1EmbedOptions,
  type ModelV1EmbedResult,
  type ModelV1GenerateResult,
  type ModelV1Info,
  type ModelV1Logprob,
  type ModelV1Resources,
  type ModelV1StreamPart,
  type ModelV1StreamResult,
  type NextToken,
  type TokenizerV1,
  throwIfAborted,
  UnsupportedFunctionalityError,
  validateCallOptions,
} from '@llmr/core';
import type {
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaGrammar,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import { residentMemory } from './resident-memory';
import { createSequencePool } from './sequence-pool';
import { createSessionSwap, type SessionSwapOptions } from './session-swap';
import { parseToolCalls, toolCallSchema } from './tool-calls';

export interface GgufModelParts {
  info: ModelV1Info;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  tokenizer: TokenizerV1;
  threads: number;
  maxQueue: number;
  /** node-llama-cpp's module, for grammar classes. */
  runtime: typeof import('node-llama-cpp');
  /** Idle sessions to disk (see session-swap.ts); off when undefined. */
  sessionSwap?: SessionSwapOptions;
  log?: (line: string) => void;
}

/** llama.cpp's sampling defaults (llama-server), used where a request says nothing. */
export const SAMPLING_DEFAULTS = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 };

export type GgufModel = ModelV1 & {
  readonly stats: {
    busy: number;
    queued: number;
    kvCacheBytes: number;
    /** Prompt and generated tokens llama.cpp has evaluated, over every sequence. */
    evaluatedTokens: number;
  };
  /** Present when the model was loaded with `sessionSwap`. */
  readonly sessions?: ReturnType<typeof createSessionSwap>;
  resources(): ModelV1Resources;
};

export function createGgufModel(parts: GgufModelParts): GgufModel {
  const { info, llama, model, context, tokenizer, runtime } = parts;
  const sequences: LlamaContextSequence[] = [];
  for (let index = 0; index < context.totalSequences; index++)
    sequences.push(context.getSequence());
  const pool = createSequencePool(sequences, parts.maxQueue);
  const sessions = parts.sessionSwap
    ? createSessionSwap(pool, parts.sessionSwap, parts.log ?? console.warn)
    : undefined;
  let embedder: LlamaEmbeddingContext | undefined;
  const grammars = new Map<string, Promise<LlamaGrammar>>();
  let embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
  let disposed = false;

  const ensureAlive = () => {
    if (disposed) throw new ModelDisposedError({ modelId: info.id });
  };

  const grammarFor = (options: ModelV1CallOptions): Promise<LlamaGrammar> | undefined => {
    const format = options.responseFormat;
    const toolRequired =
      options.tools?.length &&
      (options.toolChoice?.type === 'required' || options.toolChoice?.type === 'tool');
    let key: string | undefined;
    let make: (() => Promise<LlamaGrammar>) | undefined;
    if (toolRequired) {
      const tools =
        options.toolChoice?.type === 'tool'
          ? options.tools!.filter(
              (tool) => tool.name === (options.toolChoice as { toolName: string }).toolName,
            )
          : options.tools!;
      if (tools.length === 0) {
        throw new InvalidArgumentError({
          argument: 'toolChoice',
          message: `toolChoice names a tool that is not in tools (${options.tools!.map((tool) => tool.name).join(', ')}).`,
        });
      }
      const schema = toolCallSchema(tools);
      key = `schema:${JSON.stringify(schema)}`;
      make = () => llama.createGrammarForJsonSchema(schema as never) as Promise<LlamaGrammar>;
    } else if (format?.type === 'json') {
      key = format.schema ? `schema:${JSON.stringify(format.schema)}` : 'json';
      make = format.schema
        ? () => llama.createGrammarForJsonSchema(format.schema as never) as Promise<LlamaGrammar>
        : () => llama.getGrammarFor('json');
    } else if (format?.type === 'grammar') {
      key = `gbnf:${format.grammar}`;
      make = () => llama.createGrammar({ grammar: format.grammar });
    }
    if (!key || !make) return undefined;
    let grammar = grammars.get(key);
    if (!grammar) {
      grammar = make().catch((error: unknown) => {
        grammars.delete(key!);
        throw new InvalidArgumentError({
          argument: 'responseFormat',
          message: `The ${key!.startsWith('gbnf') ? 'grammar' : 'JSON schema'} cannot be used for constrained decoding: ${(error as Error).message}`,
          cause: error,
        });
      });
      grammars.set(key, grammar);
    }
    return grammar;
  };

  const promptTokens = (options: ModelV1CallOptions): number[] => {
    if (options.prompt !== undefined) return tokenizer.encode(options.prompt);
    if (!tokenizer.applyChatTemplate || !info.chatTemplate) {
      throw new UnsupportedFunctionalityError({
        functionality: 'chat',
        message: `Model "${info.id}" has no chat template: send a raw prompt, or load it with a chatTemplate.`,
      });
    }
    const text = tokenizer.applyChatTemplate(options.messages, {
      addGenerationPrompt: true,
      tools:
        options.tools?.length && options.toolChoice?.type !== 'none' ? options.tools : undefined,
    });
    return tokenizer.encode(text);
  };

  const encoder = new TextEncoder();
  const logprobOf = (
    token: number,
    probabilities: Map<Token, number> | undefined,
    top: number,
  ): ModelV1Logprob | undefined => {
    if (!probabilities) return undefined;
    const entry = (id: number, probability: number) => {
      const text = model.detokenize([id as Token], true);
      return {
        token: text,
        logprob: Math.log(probability),
        bytes: Array.from(encoder.encode(text)),
      };
    };
    // The best `top` of the whole vocabulary in one pass (top <= 20), not a full sort per token.
    const best: [number, number][] = [];
    if (top > 0) {
      for (const [id, probability] of probabilities) {
        if (best.length === top && probability <= best[top - 1]![1]) continue;
        let at = best.length;
        while (at > 0 && best[at - 1]![1] < probability) at--;
        best.splice(at, 0, [id, probability]);
        if (best.length > top) best.pop();
      }
    }
    return {
      ...entry(token, probabilities.get(token as Token) ?? Number.MIN_VALUE),
      topLogprobs: best.map(([id, probability]) => entry(id, probability)),
    };
  };

  /**
   * One call's token loop, once a sequence serves it: streamed, or run to its end.
   * `closed` settles once the sequence is free again, after the loop ended.
   */
  async function start(
    options: ModelV1CallOptions,
  ): Promise<CreateTokenStreamOptions & { closed(): Promise<void> }> {
    const startedAt = performance.now();
    let closed = Promise.resolve();
    ensureAlive();
    validateCallOptions(options);
    throwIfAborted(options.abortSignal);
    const prompt = promptTokens(options);
    const contextSize = context.contextSize;
    if (prompt.length >= contextSize) {
      throw new InvalidArgumentError({
        argument: 'prompt',
        value: prompt.length,
        message: `The prompt has ${prompt.length} tokens; model "${info.id}" has a context of ${contextSize} tokens. Shorten the prompt or load the model with a larger contextSize.`,
      });
    }
    const grammar = await grammarFor(options);
    const maxTokens = Math.min(
      options.maxTokens ?? contextSize - prompt.length,
      contextSize - prompt.length,
    );
    const sequence = await pool.acquire(prompt, options.abortSignal);
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        pool.release(sequence);
      }
    };
    try {
      await sessions?.restore(sequence, prompt);
      // Keep the cached prefix the prompt shares; at least one prompt token is evaluated
      // so there are logits to sample from.
      await sequence.adaptStateToTokens(prompt.slice(0, -1) as Token[], false);
      const cached = sequence.nextTokenIndex;
      const generated: Token[] = [];
      const wantLogprobs = options.logprobs === true || (options.topLogprobs ?? 0) > 0;
      const evaluateOptions = {
        temperature: options.temperature ?? SAMPLING_DEFAULTS.temperature,
        topK: options.topK ?? SAMPLING_DEFAULTS.topK,
        topP: options.topP ?? SAMPLING_DEFAULTS.topP,
        minP: options.minP ?? SAMPLING_DEFAULTS.minP,
        seed: options.seed ?? Math.floor(Math.random() * 2 ** 31),
        ...(options.repetitionPenalty !== undefined ||
        options.frequencyPenalty ||
        options.presencePenalty
          ? {
              repeatPenalty: {
                punishTokens: () => generated,
                penalty: options.repetitionPenalty ?? 1,
                frequencyPenalty: options.frequencyPenalty,
                presencePenalty: options.presencePenalty,
              },
            }
          : {}),
        ...(grammar
          ? { grammarEvaluationState: new runtime.LlamaGrammarEvaluationState({ model, grammar }) }
          : {}),
      };
      const rest = prompt.slice(cached) as Token[];
      const iterator = wantLogprobs
        ? sequence.evaluateWithMetadata(rest, { probabilities: true }, evaluateOptions)
        : sequence.evaluate(rest, evaluateOptions);
      const top = options.topLogprobs ?? 0;
      return {
        modelId: info.id,
        startedAt,
        tokenizer,
        inputTokens: prompt.length,
        cachedInputTokens: cached,
        maxTokens,
        stopSequences: options.stopSequences,
        abortSignal: options.abortSignal,
        metadata: { cachedInputTokens: cached, threads: parts.threads },
        async nextToken(): Promise<NextToken | undefined> {
          ensureAlive();
          const step = await iterator.next();
          if (step.done) return undefined;
          const value = step.value as Token | { token: Token; probabilities?: Map<Token, number> };
          const token = typeof value === 'number' ? value : value.token;
          generated.push(token);
          const logprob =
            typeof value === 'number' ? undefined : logprobOf(token, value.probabilities, top);
          return logprob ? { token, logprob } : { token };
        },
        onEnd() {
          // The generator must close before the sequence serves anyone else.
          closed = iterator
            .return(undefined)
            .then(
              () => {},
              () => {},
            )
            .finally(release);
        },
        closed: () => closed,
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** With tools, the output is held and parsed: calls become tool-call parts. */
  function withToolCalls(
    stream: ReadableStream<ModelV1StreamPart>,
    options: ModelV1CallOptions,
  ): ReadableStream<ModelV1StreamPart> {
    const tools = options.tools ?? [];
    let text = '';
    let tokens: number[] = [];
    return stream.pipeThrough(
      new TransformStream<ModelV1StreamPart, ModelV1StreamPart>({
        transform(part, controller) {
          if (part.type === 'text-delta') {
            text += part.delta;
            tokens = tokens.concat(part.tokens ?? []);
            return;
          }
          if (part.type === 'finish') {
            const parsed = parseToolCalls(text, tools);
            if (parsed.text || tokens.length)
              controller.enqueue({
                type: 'text-delta',
                delta: parsed.toolCalls.length ? parsed.text : text,
                tokens,
              });
            parsed.toolCalls.forEach((toolCall, index) => {
              controller.enqueue({
                type: 'tool-call-delta',
                index,
                toolCallId: toolCall.id,
                toolName: toolCall.toolName,
                argumentsDelta: toolCall.arguments,
              });
              controller.enqueue({ type: 'tool-call', toolCall });
            });
            controller.enqueue(
              parsed.toolCalls.length ? { ...part, finishReason: 'tool-calls' } : part,
            );
            return;
          }
          controller.enqueue(part);
        },
      }),
    );
  }

  const wantsTools = (options: ModelV1CallOptions) =>
    options.tools?.length && options.toolChoice?.type !== 'none';

  const open = async (options: ModelV1CallOptions) => {
    const stream = createTokenStream(await start(options));
    return wantsTools(options) ? withToolCalls(stream, options) : stream;
  };

  const self = {
    specificationVersion: 'v1' as const,
    info,
    tokenizer,
    get stats() {
      return {
        busy: pool.busy,
        queued: pool.queued,
        // The context's KV cache as llama.cpp would save it: what `kvCacheType` shrinks.
        kvCacheBytes: context.stateSize,
        evaluatedTokens: sequences.reduce(
          (sum, sequence) =>
            sum + sequence.tokenMeter.usedInputTokens + sequence.tokenMeter.usedOutputTokens,
          0,
        ),
      };
    },
    sessions,
    resources: () => residentMemory(model, context, embedder),

    async doStream(options: ModelV1CallOptions): Promise<ModelV1StreamResult> {
      return { stream: await open(options) };
    },

    async doGenerate(options: ModelV1CallOptions): Promise<ModelV1GenerateResult> {
      // Without tools, the loop runs to its end with no stream between steps and result.
      // The sequence is free before the answer returns: the caller's next turn can reuse
      // the conversation's KV cache on it.
      if (!wantsTools(options)) {
        const loop = await start(options);
        try {
          return await generateTokens(loop);
        } finally {
          await loop.closed();
        }
      }
      return collectStream(await open(options), { modelId: info.id });
    },

    async doEmbed({ values, abortSignal }: ModelV1EmbedOptions): Promise<ModelV1EmbedResult> {
      ensureAlive();
      throwIfAborted(abortSignal);
      embeddingContext ??= model.createEmbeddingContext({
        threads: parts.threads,
        contextSize: Math.min(context.contextSize, 2048),
      });
      const current = await embeddingContext;
      embedder = current;
      const embeddings: number[][] = [];
      let inputTokens = 0;
      for (const value of values) {
        throwIfAborted(abortSignal);
        inputTokens += tokenizer.encode(value).length;
        embeddings.push([...(await current.getEmbeddingFor(value)).vector]);
      }
      return { embeddings, usage: { inputTokens } };
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      pool.rejectAll(new ModelDisposedError({ modelId: info.id }));
      await sessions?.dispose();
      const pending = embeddingContext;
      embeddingContext = undefined;
      embedder = undefined;
      await (await pending?.catch(() => undefined))?.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
  return self;
}
