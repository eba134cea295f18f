/**
 * A small hand-written ModelV1 for the kit's self-test, with switches that each break
 * one promise of the spec. Written without createTokenStream on purpose: the broken
 * variants must be able to break what that helper guarantees.
 */
import { AbortError, InvalidArgumentError, ModelDisposedError } from '../../errors/errors';
import type { ModelV1 } from '../../model/v1/model-v1';
import type { ModelV1CallOptions } from '../../model/v1/model-v1-call-options';
import type { ModelV1StreamPart } from '../../model/v1/model-v1-result';
import type { TokenizerV1 } from '../../tokenizer/v1/tokenizer-v1';
import { collectStream } from '../../util/collect-stream';

export type Defect =
  | 'stream-differs'
  | 'ignores-abort'
  | 'emits-stop-sequence'
  | 'max-tokens-off-by-one'
  | 'wrong-usage'
  | 'interleaves'
  | 'works-after-dispose'
  | 'ignores-seed'
  | 'no-validation';

const letters = 'abcdefghijklmnopqrstuvwxyz ';

// One character per token, ids = index into `letters`.
const tokenizer: TokenizerV1 = {
  specificationVersion: 'v1',
  vocabularySize: letters.length,
  specialTokens: { all: [] },
  encode: (text) =>
    Array.from(text, (character) => Math.max(0, letters.indexOf(character.toLowerCase()))),
  decode: (tokens) => tokens.map((token) => letters[token] ?? '').join(''),
  createStreamDecoder: () => ({ push: (token) => letters[token] ?? '', flush: () => '' }),
};

let sharedState = 1; // used only by the 'interleaves' defect

export function createReferenceModel(defect?: Defect): ModelV1 {
  let disposed = false;

  function streamFor(
    options: ModelV1CallOptions,
    streaming = false,
  ): ReadableStream<ModelV1StreamPart> {
    if (disposed && defect !== 'works-after-dispose')
      throw new ModelDisposedError({ modelId: 'reference' });
    if (defect !== 'no-validation' && options.maxTokens !== undefined && options.maxTokens < 1) {
      throw new InvalidArgumentError({ argument: 'maxTokens', message: 'maxTokens must be >= 1' });
    }
    if (defect !== 'no-validation' && ((options.temperature ?? 0) < 0 || (options.topP ?? 1) > 1)) {
      throw new InvalidArgumentError({ argument: 'temperature', message: 'bad sampling option' });
    }
    if (options.abortSignal?.aborted) throw new AbortError();
    const prompt = options.prompt ?? '';
    let state =
      defect === 'ignores-seed'
        ? Math.floor(Math.random() * 1e9)
        : ((options.seed ?? 0) * 7919 + prompt.length * 31) >>> 0;
    const next = () => {
      if (defect === 'interleaves') {
        sharedState = (sharedState * 1103515245 + 12345) >>> 0;
        return sharedState % letters.length;
      }
      state = (state * 1103515245 + 12345) >>> 0;
      return (state >>> 8) % letters.length;
    };
    if (defect === 'interleaves') sharedState = (options.seed ?? 0) + prompt.length;
    const maxTokens = (options.maxTokens ?? 32) + (defect === 'max-tokens-off-by-one' ? 1 : 0);
    const stops = defect === 'emits-stop-sequence' ? [] : (options.stopSequences ?? []);
    let produced = 0;
    let text = '';
    let emitted = 0;
    const tokens: number[] = [];
    const finish = (
      controller: ReadableStreamDefaultController<ModelV1StreamPart>,
      reason: 'stop' | 'length',
    ) => {
      controller.enqueue({
        type: 'usage',
        usage: {
          inputTokens: tokenizer.encode(prompt).length + (defect === 'wrong-usage' ? 1 : 0),
          outputTokens: produced,
        },
      });
      controller.enqueue({ type: 'finish', finishReason: reason });
      controller.close();
    };
    return new ReadableStream<ModelV1StreamPart>(
      {
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (options.abortSignal?.aborted && defect !== 'ignores-abort') {
            controller.enqueue({ type: 'error', error: new AbortError() });
            controller.close();
            return;
          }
          if (produced >= maxTokens) {
            const rest = text.slice(emitted);
            if (rest) controller.enqueue({ type: 'text-delta', delta: rest, tokens: [] });
            return finish(controller, 'length');
          }
          const token = next();
          tokens.push(token);
          produced++;
          text += letters[token];
          const hit = stops
            .map((stop) => text.indexOf(stop))
            .filter((index) => index >= 0)
            .sort((a, b) => a - b)[0];
          if (hit !== undefined) {
            if (hit > emitted)
              controller.enqueue({
                type: 'text-delta',
                delta: text.slice(emitted, hit),
                tokens: [],
              });
            return finish(controller, 'stop');
          }
          // Hold back a possible stop prefix (at most the longest stop length - 1).
          const hold = Math.max(0, ...stops.map((stop) => stop.length - 1));
          const safe = Math.max(emitted, text.length - hold);
          let delta = text.slice(emitted, safe);
          if (defect === 'stream-differs' && streaming && produced === 1) delta += '!';
          emitted = safe;
          controller.enqueue({ type: 'text-delta', delta, tokens: [token] });
        },
      },
      { highWaterMark: defect === 'ignores-abort' ? 1000 : 0 },
    );
  }

  return {
    specificationVersion: 'v1',
    info: {
      id: `reference${defect ? `-${defect}` : ''}`,
      format: 'test',
      contextLength: 1024,
      capabilities: ['completion'],
    },
    tokenizer,
    async doStream(options) {
      return { stream: streamFor(options, true) };
    },
    async doGenerate(options) {
      const result = await collectStream(streamFor(options));
      // Token ids are attached per delta, so with a stop sequence the ids can run past the text.
      return { ...result, tokens: undefined };
    },
    async dispose() {
      disposed = true;
    },
  };
}
