/**
 * Turns a "next token" function into a spec-conformant stream of parts: exact max
 * tokens, stop sequences held back and never emitted, UTF-8-safe text, usage, abort
 * checked before every token. Pull-based, so a slow reader slows generation instead of
 * queueing tokens, and abort takes effect before the next token is computed.
 */
import { AbortError, GenerationError } from '../errors/errors';
import { LlmrError } from '../errors/llmr-error';
import type {
  ModelV1FinishReason,
  ModelV1Logprob,
  ModelV1StreamPart,
} from '../model/v1/model-v1-result';
import type { TokenizerV1 } from '../tokenizer/v1/tokenizer-v1';
import { createStopSequenceMatcher } from './stop-sequence-matcher';

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
  /** Called exactly once when the stream ends for any reason (free a sequence, a slot). */
  onEnd?: (reason: ModelV1FinishReason) => void;
  metadata?: Record<string, unknown>;
}

export function createTokenStream(
  options: CreateTokenStreamOptions,
): ReadableStream<ModelV1StreamPart> {
  const stop = createStopSequenceMatcher(options.stopSequences);
  const decoder = options.tokenizer.createStreamDecoder({ skipSpecialTokens: true });
  const eos = new Set(
    options.tokenizer.specialTokens.eos === undefined ? [] : [options.tokenizer.specialTokens.eos],
  );
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

  const finish = (
    controller: ReadableStreamDefaultController<ModelV1StreamPart>,
    reason: ModelV1FinishReason,
    tail: string,
    stopSequence?: string,
  ) => {
    if (tail.length > 0 || pendingTokens.length > 0) controller.enqueue(delta(tail));
    controller.enqueue({
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
    controller.enqueue({
      type: 'finish',
      finishReason: reason,
      ...(metadata ? { metadata } : {}),
    });
    controller.close();
    end(reason);
  };

  return new ReadableStream<ModelV1StreamPart>(
    {
      start(controller) {
        controller.enqueue({ type: 'stream-start' });
      },
      async pull(controller) {
        try {
          // One part per token, even when it completes no text yet (half a UTF-8
          // character, a held-back stop prefix): consumers see every token when it is made.
          if (options.abortSignal?.aborted)
            throw new AbortError({ cause: options.abortSignal.reason });
          if (generated >= options.maxTokens)
            return finish(controller, 'length', decoder.flush() + stop.flush());
          const next = await options.nextToken();
          if (options.abortSignal?.aborted)
            throw new AbortError({ cause: options.abortSignal.reason });
          if (next === undefined || eos.has(next.token))
            return finish(controller, 'stop', decoder.flush() + stop.flush());
          generated++;
          pendingTokens.push(next.token);
          if (next.logprob) pendingLogprobs.push(next.logprob);
          const matched = stop.push(decoder.push(next.token));
          if (matched.stopped)
            return finish(controller, 'stop', matched.text, matched.stopSequence);
          controller.enqueue(delta(matched.text));
        } catch (caught) {
          // Whatever a runtime throws once its signal fired (DOMException, its own
          // error) is an abort to the caller.
          const error =
            options.abortSignal?.aborted && !AbortError.isInstance(caught)
              ? new AbortError({ cause: caught })
              : caught;
          const reason = AbortError.isInstance(error) ? 'abort' : 'error';
          controller.enqueue({
            type: 'error',
            error: LlmrError.isInstance(error)
              ? error
              : new GenerationError({
                  modelId: options.modelId,
                  message: `Generation failed: ${error instanceof Error ? error.message : String(error)}`,
                  cause: error,
                }),
          });
          controller.close();
          end(reason);
        }
      },
      cancel() {
        end('abort');
      },
    },
    { highWaterMark: 0 },
  );
}
