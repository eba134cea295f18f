import { describe, expect, it } from 'vitest';
import { ContentPolicyError, InvalidArgumentError } from '../errors/errors';
import type { ModelV1 } from '../model/v1/model-v1';
import type { ModelV1CallOptions } from '../model/v1/model-v1-call-options';
import type { ModelV1StreamPart } from '../model/v1/model-v1-result';
import { createReferenceModel } from '../test/__fixtures__/reference-model';
import { collectStream, iterateStream } from '../util/collect-stream';
import { generate } from '../util/generate';
import type { ModelMiddlewareV1 } from './v1/model-middleware-v1';
import { wrapModel } from './wrap-model';

/**
 * A test double that answers with its input, one word a delta, so a test can see what
 * options reached the model and how many deltas reached the caller.
 */
function createEchoModel(): ModelV1 & { seen: ModelV1CallOptions[] } {
  const seen: ModelV1CallOptions[] = [];
  const inputOf = (options: ModelV1CallOptions) =>
    options.prompt ??
    options.messages.map((message) => `${message.role}:${message.content}`).join('|');
  const model = {
    specificationVersion: 'v1' as const,
    info: { id: 'echo', format: 'test', contextLength: 1024, capabilities: ['chat' as const] },
    seen,
    async doStream(options: ModelV1CallOptions) {
      seen.push(options);
      const words = inputOf(options).split(/(?<= )/);
      const parts: ModelV1StreamPart[] = [
        { type: 'stream-start' },
        ...words.map((delta) => ({ type: 'text-delta' as const, delta })),
        { type: 'usage', usage: { inputTokens: 1, outputTokens: words.length } },
        { type: 'finish', finishReason: 'stop' },
      ];
      return {
        stream: new ReadableStream<ModelV1StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
    async doGenerate(options: ModelV1CallOptions) {
      return collectStream((await model.doStream(options)).stream);
    },
    async dispose() {},
  };
  return model;
}

async function deltasOf(model: ModelV1, options: ModelV1CallOptions): Promise<string[]> {
  const { stream } = await model.doStream(options);
  const deltas: string[] = [];
  for await (const part of iterateStream(stream))
    if (part.type === 'text-delta') deltas.push(part.delta);
  return deltas;
}

const upper: ModelMiddlewareV1 = {
  specificationVersion: 'v1',
  name: 'upper',
  output: 'buffered',
  capabilities: ['json-schema', 'chat'],
  async wrapGenerate({ doGenerate }) {
    const result = await doGenerate();
    return { ...result, text: result.text.toUpperCase() };
  },
};

const prefix = (text: string): ModelMiddlewareV1 => ({
  specificationVersion: 'v1',
  name: `prefix-${text}`,
  transformOptions: ({ options }) =>
    options.prompt !== undefined ? { ...options, prompt: `${text}${options.prompt}` } : options,
});

describe('wrapModel', () => {
  it('applies stages in order, first outermost, and passes tokens through', async () => {
    const model = createEchoModel();
    const wrapped = wrapModel(model, [prefix('a '), prefix('b ')]);
    // The outer stage transforms first, so the inner one's prefix ends up in front.
    expect((await wrapped.doGenerate({ prompt: 'c d' })).text).toBe('b a c d');
    // A pass-through stage keeps the model's deltas as they were.
    expect(await deltasOf(wrapped, { prompt: 'c d' })).toEqual(['b ', 'a ', 'c ', 'd']);
    expect(model.seen.at(-1)?.prompt).toBe('b a c d');
    expect(wrapped.info.id).toBe('echo');
  });

  it('buffers a stream for a stage that needs the whole output, and replays it as one delta', async () => {
    const wrapped = wrapModel(createEchoModel(), [upper]);
    expect(await deltasOf(wrapped, { prompt: 'one two three' })).toEqual(['ONE TWO THREE']);
    // Capabilities a stage gives are added to the model's, once each.
    expect(wrapped.info.capabilities).toEqual(['chat', 'json-schema']);
    expect((await generate(wrapped, { prompt: 'x y' })).text).toBe('X Y');
  });

  it('lets a stage call the model again with other options (a retry with feedback)', async () => {
    const model = createEchoModel();
    const retry: ModelMiddlewareV1 = {
      specificationVersion: 'v1',
      name: 'retry',
      output: 'buffered',
      async wrapGenerate({ doGenerate, options }) {
        const first = await doGenerate();
        if (first.text.includes('ok')) return first;
        return doGenerate({ prompt: `${options.prompt} ok` });
      },
    };
    const wrapped = wrapModel(model, [retry]);
    expect(await deltasOf(wrapped, { prompt: 'bad' })).toEqual(['bad ok']);
    expect(model.seen.map((options) => options.prompt)).toEqual(['bad', 'bad ok']);
  });

  it('lets a stage refuse before the model runs', async () => {
    const model = createEchoModel();
    const block: ModelMiddlewareV1 = {
      specificationVersion: 'v1',
      name: 'block',
      transformOptions: () => {
        throw new ContentPolicyError({
          ruleId: 'always',
          stage: 'block',
          direction: 'input',
          message: 'blocked',
        });
      },
    };
    const error = await wrapModel(model, [block])
      .doStream({ prompt: 'x' })
      .catch((caught: unknown) => caught);
    expect(ContentPolicyError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'content-blocked', ruleId: 'always', stage: 'block' });
    expect(model.seen).toHaveLength(0);
  });

  it('without stages, or with pass-through ones, a model still passes its own contract', async () => {
    const reference = createReferenceModel();
    expect(wrapModel(reference, [])).toBe(reference);
    const wrapped = wrapModel(createReferenceModel(), [prefix('')]);
    const direct = await generate(createReferenceModel(), { prompt: 'abc', seed: 3, maxTokens: 8 });
    expect((await generate(wrapped, { prompt: 'abc', seed: 3, maxTokens: 8 })).text).toBe(
      direct.text,
    );
  });

  it('rejects something that is not a middleware, naming its position', () => {
    expect(() => wrapModel(createEchoModel(), [prefix('a'), {} as ModelMiddlewareV1])).toThrow(
      InvalidArgumentError,
    );
    expect(() => wrapModel(createEchoModel(), [{} as ModelMiddlewareV1])).toThrow(
      /middleware\[0\]/,
    );
  });
});
