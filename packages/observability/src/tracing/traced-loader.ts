/** A loader whose models come out wrapped by `traceModel`: spans and GenAI metrics for every model a registry loads. */
import type { LoaderV1 } from '@llmr/core';
import { type TraceModelOptions, traceModel } from './traced-model';

export function traceLoader(loader: LoaderV1, options: TraceModelOptions = {}): LoaderV1 {
  return {
    ...loader,
    canLoad: (source) => loader.canLoad(source),
    doLoad: async (source, loadOptions) =>
      traceModel(await loader.doLoad(source, loadOptions), options),
  };
}
