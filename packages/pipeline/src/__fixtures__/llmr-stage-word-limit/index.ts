/**
 * A third-party stage, written as its own package would be: it imports @llmr/core and
 * nothing else (a test checks this). It cuts answers to a number of words, passing
 * tokens through as they arrive and ending the stream once the limit is reached.
 */
import {
  InvalidArgumentError,
  type ModelMiddlewareFactoryV1,
  type ModelV1StreamPart,
} from '@llmr/core';

export const createWordLimit: ModelMiddlewareFactoryV1 = (options) => {
  const maxWords = options.maxWords;
  if (!Number.isInteger(maxWords) || (maxWords as number) < 1)
    throw new InvalidArgumentError({
      argument: 'word-limit.maxWords',
      value: maxWords,
      message: 'word-limit: `maxWords` must be a positive integer.',
    });
  const limit = maxWords as number;
  return {
    specificationVersion: 'v1',
    name: 'word-limit',
    async wrapStream({ doStream }) {
      const { stream } = await doStream();
      let words = 0;
      let inWord = false;
      let done = false;
      const cut = new TransformStream<ModelV1StreamPart, ModelV1StreamPart>({
        transform(part, controller) {
          if (done) return;
          if (part.type !== 'text-delta') return controller.enqueue(part);
          let delta = '';
          // Deltas may split a word anywhere, so word starts are tracked across them.
          for (const character of part.delta) {
            const space = /\s/.test(character);
            if (!space && !inWord && ++words > limit) {
              done = true;
              break;
            }
            inWord = !space;
            delta += character;
          }
          if (delta) controller.enqueue({ ...part, delta });
          if (done) {
            controller.enqueue({ type: 'finish', finishReason: 'length' });
            controller.terminate();
          }
        },
      });
      return { stream: stream.pipeThrough(cut) };
    },
  };
};
