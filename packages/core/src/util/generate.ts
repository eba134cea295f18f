/**
 * The friendly layer over the spec: validate options, then call the model. Users call
 * these; plugins implement `doGenerate`/`doStream`.
 */
import type { ModelV1 } from '../model/v1/model-v1';
import type { ModelV1CallOptions } from '../model/v1/model-v1-call-options';
import type { ModelV1GenerateResult, ModelV1StreamPart } from '../model/v1/model-v1-result';
import { iterateStream } from './collect-stream';
import { validateCallOptions } from './validate-call-options';

export async function generate(
  model: ModelV1,
  options: ModelV1CallOptions,
): Promise<ModelV1GenerateResult> {
  validateCallOptions(options);
  return model.doGenerate(options);
}

export interface StreamHandle {
  /** Every part, in order. An `error` part is yielded, not thrown. */
  parts: AsyncIterable<ModelV1StreamPart>;
}

/** Streams parts; iterate `textStream` for just the text, which throws on an error part. */
export async function stream(
  model: ModelV1,
  options: ModelV1CallOptions,
): Promise<StreamHandle & { textStream: AsyncIterable<string> }> {
  validateCallOptions(options);
  const { stream: parts } = await model.doStream(options);
  return {
    parts: iterateStream(parts),
    textStream: (async function* () {
      for await (const part of iterateStream(parts)) {
        if (part.type === 'text-delta') yield part.delta;
        else if (part.type === 'error') throw part.error;
      }
    })(),
  };
}
