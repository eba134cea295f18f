/**
 * The loader module the tests run inside workers: runtime-simple's loader, plus a crash
 * drill — a prompt containing "CRASH" ends the worker thread (process.exit in a worker
 * ends only that thread) after the first stream part, as a runtime fault would; a source
 * named crash-on-load.gguf ends it while loading.
 */
import type { LoaderV1, ModelV1 } from '@llmr/core';
import { simpleLoader } from '@llmr/runtime-simple';

function withCrashDrill(model: ModelV1): ModelV1 {
  return {
    ...model,
    info: model.info,
    doGenerate: (options) => model.doGenerate(options),
    dispose: () => model.dispose(),
    async doStream(options) {
      const result = await model.doStream(options);
      if (!options.prompt?.toString().includes('CRASH')) return result;
      let parts = 0;
      const crash = new TransformStream({
        transform(part, controller) {
          controller.enqueue(part);
          if (++parts === 2) process.exit(7);
        },
      });
      return { stream: result.stream.pipeThrough(crash) };
    },
  };
}

export const loader: LoaderV1 = {
  ...simpleLoader,
  async doLoad(source, options) {
    // The load-crash drill: a worker that dies before it is ready.
    if (source.endsWith('crash-on-load.gguf')) process.exit(9);
    return withCrashDrill(await simpleLoader.doLoad(source, options));
  },
};
