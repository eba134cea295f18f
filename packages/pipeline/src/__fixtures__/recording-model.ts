/** Wraps a model to record the options each call received (and so how many calls there were). */
import type { ModelV1, ModelV1CallOptions } from '@llmr/core';

export function recordCalls(model: ModelV1): {
  model: ModelV1;
  seen: ModelV1CallOptions[];
  calls: () => number;
} {
  const seen: ModelV1CallOptions[] = [];
  return {
    seen,
    calls: () => seen.length,
    model: {
      ...model,
      doGenerate: (options) => {
        seen.push(options);
        return model.doGenerate(options);
      },
      doStream: (options) => {
        seen.push(options);
        return model.doStream(options);
      },
    },
  };
}
