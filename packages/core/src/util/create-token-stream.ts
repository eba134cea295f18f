/**
 * Turns a "next token" function into a spec-conformant stream of parts: exact max
 * tokens, stop sequences held back and never emitted, UTF-8-safe text, usage, abort
 * checked before every token. Pull-based, so a slow reader slows generation instead of
 * queueing tokens, and abort takes effect before the next token is computed.
 *
 * `generateTokens` runs the same loop to its end without a stream: what `doGenerate`
 * returns, with the same parts folded as `collectStream(createTokenStream(...))` folds them,
 * plus the time to the first token.
 */
import { AbortError, GenerationError } from '../errors/errors';
import { LlmrError } from '../errors/llmr-error';
import type {
  ModelV1FinishReason,
  ModelV1GenerateResult,
  ModelV1Logprob,
  ModelV1StreamPart,
} from '../model/v1/model-v1-result';
import type { TokenizerV1 } from '../tokenizer/v1/tokenizer-v1';
import { createStopSequenceMatcher } from './stop-sequence-matcher';
import { createStreamCollector } from './stream-collector';

export interface NextToken {
  token: number;
  logprob?: ModelV1Logprob;
}

export interface CreateTokenStreamOptions {
  modelId: string;
  tokenizer: TokenizerV1;
  inputTokens: number;
  cachedInputTokens?: number;
  maxTokens: number;
  stopSequences?: readonly string[];
  abortSignal?: AbortSignal;
  /** Produces the next token, or `undefined` at end of sequence. */
  nextToken: () => Promise<NextToken | undefined> | NextToken | undefined;
  /** Called exactly once when the generation ends for any reason (free a sequence, a slot). */
  onEnd?: (reason: ModelV1FinishReason) => void;
  metadata?: Record<string, unknown>;
  /**
   * When the call began (`performance.now()`), for the `firstTokenMs` that `generateTokens`
   * reports: a runtime that waited for a slot before building the loop passes it. Default:
   * when `generateTokens` is called.
   */
  startedAt?: number;
}

type Emit = (part: ModelV1StreamPart) => void;

/** The token loop both surfaces share: one `step` per token, parts handed to `emit`. */
function createTokenLoop(options: CreateTokenStreamOptions) {
  const stop = createStopSequenceMatcher(options.stopSequences);
  const decoder = options.tokenizer.createStreamDecoder({ skipSpecialTokens: true });
  const eosToken = options.tokenizer.specialTokens.eos;
  let generated = 0;
  let pendingTokens: number[] = [];
  let pendingLogprobs: ModelV1Logprob[] = [];
  let ended = false;

  const end = (reason: ModelV1FinishReason) => {
    if (ended) return;
    ended = true;
    options.onEnd?.(reason);
  };

  const delta = (text: string): ModelV1StreamPart => {
    const part: ModelV1StreamPart = { type: 'text-delta', delta: text, tokens: pendingTokens };
    if (pendingLogprobs.length) part.logprobs = pendingLogprobs;
    pendingTokens = [];
    pendingLogprobs = [];
    return part;
  };

  const finish = (emit: Emit, reason: ModelV1FinishReason, tail: string, stopSequence?: string) => {
    if (tail.length > 0 || pendingTokens.length > 0) emit(delta(tail));
    emit({
      type: 'usage',
      usage: {
        inputTokens: options.inputTokens,
        outputTokens: generated,
        ...(options.cachedInputTokens !== undefined
          ? { cachedInputTokens: options.cachedInputTokens }
          : {}),
      },
    });
    // Which stop sequence ended it: APIs like Anthropic's report it (`stop_sequence`).
    const metadata =
      stopSequence !== undefined ? { ...options.metadata, stopSequence } : options.metadata;
    emit({ type: 'finish', finishReason: reason, ...(metadata ? { metadata } : {}) });
    end(reason);
    return true;
  };

  return {
    end,
    /**
     * One token: emits its part (one per token, even when it completes no text yet: half
     * a UTF-8 character, a held-back stop prefix), or the closing parts. True once ended.
     */
    async step(emit: Emit): Promise<boolean> {
      if (options.abortSignal?.aborted) throw new AbortError({ cause: options.abortSignal.reason });
      if (generated >= options.maxTokens)
        return finish(emit, 'length', decoder.flush() + stop.flush());
      const next = await options.nextToken();
      if (options.abortSignal?.aborted) throw new AbortError({ cause: options.abortSignal.reason });
      if (next === undefined || next.token === eosToken)
        return finish(emit, 'stop', decoder.flush() + stop.flush());
      generated++;
      pendingTokens.push(next.token);
      if (next.logprob) pendingLogprobs.push(next.logprob);
      const matched = stop.push(decoder.push(next.token));
      if (matched.stopped) return finish(emit, 'stop', matched.text, matched.stopSequence);
      emit(delta(matched.text));
      return false;
    },
    /** What a failure is to the caller: whatever a runtime throws once its signal fired is an abort. */
    failure(caught: unknown): LlmrError {
      const error =
        options.abortSignal?.aborted && !AbortError.isInstance(caught)
          ? new AbortError({ cause: caught })
          : caught;
      end(AbortError.isInstance(error) ? 'abort' : 'error');
      return LlmrError.isInstance(error)
        ? error
        : new GenerationError({
            modelId: options.modelId,
            message: `Generation failed: ${error instanceof Error ? error.message : String(error)}`,
            cause: error,
          });
    },
  };
}

export function createTokenStream(
  options: CreateTokenStreamOptions,
): ReadableStream<ModelV1StreamPart> {
  const loop = createTokenLoop(options);
  return new ReadableStream<ModelV1StreamPart>(
    {
      start(controller) {
        controller.enqueue({ type: 'stream-start' });
      },
      async pull(controller) {
        try {
          if (await loop.step((part) => controller.enqueue(part))) controller.close();
        } catch (caught) {
          controller.enqueue({ type: 'error', error: loop.failure(caught) });
          controller.close();
        }
      },
      cancel() {
        loop.end('abort');
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The same generation run to its end without a stream, for `doGenerate`: no stream, reader
 * or promise per part between the token function and the result. A failure throws the
 * error the stream would have sent as its `error` part.
 */
export async function generateTokens(
  options: CreateTokenStreamOptions,
): Promise<ModelV1GenerateResult> {
  const startedAt = options.startedAt ?? performance.now();
  const loop = createTokenLoop(options);
  const collector = createStreamCollector({ modelId: options.modelId });
  let firstTokenMs: number | undefined;
  const push = (part: ModelV1StreamPart) => {
    if (firstTokenMs === undefined && part.type === 'text-delta' && part.tokens?.length)
      firstTokenMs = performance.now() - startedAt;
    collector.push(part);
  };
  try {
    while (!(await loop.step(push)));
  } catch (caught) {
    throw loop.failure(caught);
  }
  const result = collector.result();
  if (firstTokenMs !== undefined) result.firstTokenMs = firstTokenMs;
  return result;
}
