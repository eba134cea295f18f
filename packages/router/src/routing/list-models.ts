import type { ModelV1Capability } from '@llmr/core';
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
}

/** Every name a request may use: models, routes and aliases (for an OpenAI `/v1/models`). */
export function listModels(runtime: RouterRuntime): RouterModelListing[] {
  const { config, pool } = runtime;
  const models: RouterModelListing[] = config.models.map((model) => {
    const info = pool.info(model.id);
    const capabilities = model.capabilities ?? info?.capabilities;
    const contextLength = model.contextLength ?? info?.contextLength;
    return {
      id: model.id,
      kind: 'model',
      loaded: pool.isLoaded(model.id),
      ...(capabilities ? { capabilities } : {}),
      ...(contextLength !== undefined ? { contextLength } : {}),
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
