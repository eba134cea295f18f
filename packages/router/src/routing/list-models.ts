import type { ModelV1Capability } from '@llmr/core';
import type { MemorySource } from '../lifecycle/model-pool';
import type { RouterRuntime } from '../router-runtime';

export interface RouterModelListing {
  id: string;
  kind: 'model' | 'route' | 'alias';
  /** For aliases: what the name points to. For routes: their models. */
  target?: string;
  models?: string[];
  loaded?: boolean;
  capabilities?: ModelV1Capability[];
  contextLength?: number;
  /** With self-healing on: `healthy`, `unhealthy` (routed around) or `reloading`. */
  health?: 'healthy' | 'unhealthy' | 'reloading';
  /** Resident bytes, and whether the runtime reported them or they are configured/estimated. */
  memoryBytes?: number;
  memorySource?: MemorySource;
  /** The compute backend the loaded model runs on (`cpu`, `cuda`, ...), when it says. */
  backend?: string;
}

/** Every name a request may use: models, routes and aliases (for an OpenAI `/v1/models`). */
export function listModels(runtime: RouterRuntime): RouterModelListing[] {
  const { config, pool } = runtime;
  const models: RouterModelListing[] = config.models.map((model) => {
    const info = pool.info(model.id);
    const capabilities = model.capabilities ?? info?.capabilities;
    const contextLength = model.contextLength ?? info?.contextLength;
    const view = pool.view(model.id);
    return {
      id: model.id,
      kind: 'model',
      loaded: pool.isLoaded(model.id),
      ...(capabilities ? { capabilities } : {}),
      ...(contextLength !== undefined ? { contextLength } : {}),
      ...(runtime.healing ? { health: runtime.healing.snapshot(model.id).state } : {}),
      ...(view?.memoryBytes !== undefined
        ? { memoryBytes: view.memoryBytes, memorySource: view.memorySource }
        : {}),
      ...(info?.backend ? { backend: info.backend } : {}),
    };
  });
  const routes: RouterModelListing[] = Object.entries(config.routes).map(([name, route]) => ({
    id: name,
    kind: 'route',
    models: route.models ?? route.fallback ?? config.models.map((model) => model.id),
  }));
  const aliases: RouterModelListing[] = Object.entries(config.aliases).map(([name, target]) => ({
    id: name,
    kind: 'alias',
    target,
  }));
  return [...models, ...routes, ...aliases];
}
