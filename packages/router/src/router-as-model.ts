/**
 * The router as a plain ModelV1 for one target, for code that takes a model. Its info
 * is the union of the candidates' capabilities and the largest context; results carry
 * the routing info in `metadata.routing`. Disposing it leaves the router running.
 */
import { ModelDisposedError, type ModelV1, type ModelV1Capability } from '@llmr/core';
import type { LLMRouter } from './router';
import type { RouterRuntime } from './router-runtime';
import { targetModelIds } from './routing/target-model-ids';
import type { RouterRequest, RouterRequestOptions } from './types';

export function routerAsModel(
  router: LLMRouter,
  runtime: RouterRuntime,
  target: string,
  defaults: Omit<RouterRequestOptions, 'model'>,
): ModelV1 {
  let disposed = false;
  const check = () => {
    if (disposed) throw new ModelDisposedError({ modelId: target });
  };
  const ids = targetModelIds(runtime, target);
  const capabilities = new Set<ModelV1Capability>();
  let contextLength = 0;
  for (const id of ids) {
    const config = runtime.slots.get(id)?.config;
    const info = runtime.pool.info(id);
    for (const capability of config?.capabilities ?? info?.capabilities ?? [])
      capabilities.add(capability);
    contextLength = Math.max(contextLength, config?.contextLength ?? info?.contextLength ?? 0);
  }
  return {
    specificationVersion: 'v1',
    info: {
      id: target,
      format: 'llmr-router',
      contextLength: contextLength || 4096,
      capabilities: [...capabilities],
    },
    async doGenerate(options) {
      check();
      const { routing, ...result } = await router.generate({
        ...defaults,
        ...options,
        model: target,
      } as RouterRequest);
      return { ...result, metadata: { ...result.metadata, routing } };
    },
    async doStream(options) {
      check();
      const { stream } = await router.stream({
        ...defaults,
        ...options,
        model: target,
      } as RouterRequest);
      return { stream };
    },
    async doEmbed(options) {
      check();
      const { routing: _routing, ...result } = await router.embed({ ...options, model: target });
      return result;
    },
    async dispose() {
      disposed = true;
    },
  };
}
