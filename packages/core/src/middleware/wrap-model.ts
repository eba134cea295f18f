/**
 * Applies middleware to a model. The first stage is the outermost: it sees the caller's
 * options first and the model's output last, so `[guardrails, cache]` checks a request
 * before the cache can answer it.
 */
import { InvalidArgumentError } from '../errors/errors';
import type { ModelV1 } from '../model/v1/model-v1';
import type { ModelV1CallOptions } from '../model/v1/model-v1-call-options';
import { collectStream } from '../util/collect-stream';
import { streamFromResult } from '../util/stream-from-result';
import type { ModelMiddlewareV1 } from './v1/model-middleware-v1';

function checkMiddleware(middleware: ModelMiddlewareV1, index: number): void {
  if (
    middleware == null ||
    typeof middleware !== 'object' ||
    middleware.specificationVersion !== 'v1' ||
    typeof middleware.name !== 'string'
  ) {
    throw new InvalidArgumentError({
      argument: `middleware[${index}]`,
      value: middleware,
      message: `middleware[${index}] is not a ModelMiddlewareV1: it needs \`specificationVersion: 'v1'\` and a \`name\`.`,
    });
  }
}

function wrapOne(model: ModelV1, middleware: ModelMiddlewareV1): ModelV1 {
  const transform = async (options: ModelV1CallOptions, kind: 'generate' | 'stream') =>
    middleware.transformOptions ? middleware.transformOptions({ options, kind, model }) : options;
  const callArguments = (options: ModelV1CallOptions) => ({
    options,
    model,
    doGenerate: (override?: ModelV1CallOptions) => model.doGenerate(override ?? options),
    doStream: (override?: ModelV1CallOptions) => model.doStream(override ?? options),
  });
  const added = middleware.capabilities ?? [];
  let info: ModelV1['info'] | undefined;
  return {
    specificationVersion: 'v1',
    get info() {
      // Read lazily: a model may fill its info in after loading.
      if (added.length === 0) return model.info;
      info ??= {
        ...model.info,
        capabilities: [...new Set([...model.info.capabilities, ...added])],
      };
      return info;
    },
    ...(model.tokenizer ? { tokenizer: model.tokenizer } : {}),
    async doGenerate(options) {
      const transformed = await transform(options, 'generate');
      if (!middleware.wrapGenerate) return model.doGenerate(transformed);
      return middleware.wrapGenerate(callArguments(transformed));
    },
    async doStream(options) {
      const transformed = await transform(options, 'stream');
      if (middleware.wrapStream) return middleware.wrapStream(callArguments(transformed));
      if (middleware.output === 'buffered' && middleware.wrapGenerate) {
        // The stage needs the whole output: run the stream to its end, then replay.
        const call = callArguments(transformed);
        const result = await middleware.wrapGenerate({
          ...call,
          doGenerate: async (override) =>
            collectStream((await model.doStream(override ?? transformed)).stream, {
              modelId: model.info.id,
            }),
        });
        return { stream: streamFromResult(result) };
      }
      return model.doStream(transformed);
    },
    ...(model.doEmbed ? { doEmbed: (options) => model.doEmbed!(options) } : {}),
    dispose: () => model.dispose(),
  };
}

/** A model with the stages applied, in order (first = outermost). No stages: the model itself. */
export function wrapModel(model: ModelV1, middleware: readonly ModelMiddlewareV1[]): ModelV1 {
  middleware.forEach(checkMiddleware);
  return middleware.reduceRight<ModelV1>((inner, stage) => wrapOne(inner, stage), model);
}
