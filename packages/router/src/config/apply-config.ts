/**
 * Puts a validated config in force: pool limits and model set, breakers and stats of
 * removed models dropped, the per-model slots routing reads rebuilt, pricing, quality
 * priors, the cache and the health-check schedule updated. Requests in flight keep
 * what they already hold.
 */
import { CacheManager } from '../cache/cache-manager';
import { createMemoryCacheStore } from '../cache/memory-cache-store';
import { scheduleHealthChecks } from '../health/schedule-health-checks';
import { parseMemorySize } from '../lifecycle/memory-size';
import { defaultCircuitBreakerSettings } from '../resilience/circuit-breaker';
import type { RouterRuntime } from '../router-runtime';
import { createBalancedStrategy } from '../strategies/balanced-strategy';
import type { ResolvedRouterConfig } from './router-config-schema';

export function applyConfig(
  runtime: RouterRuntime,
  config: ResolvedRouterConfig,
  initial: boolean,
): { added: string[]; removed: string[] } {
  const { pool, clock } = runtime;
  runtime.config = config;
  const lifecycle = config.lifecycle ?? {};
  pool.settings = {
    keepAliveMs: lifecycle.keepAliveMs ?? 300_000,
    ...(lifecycle.maxLoadedModels !== undefined
      ? { maxLoadedModels: lifecycle.maxLoadedModels }
      : {}),
    ...(lifecycle.maxMemory !== undefined
      ? { maxMemoryBytes: parseMemorySize(lifecycle.maxMemory) }
      : {}),
  };
  const { added, removed } = pool.sync(config.models);
  const ids = new Set(config.models.map((model) => model.id));
  for (const id of [...runtime.breakers.keys()]) if (!ids.has(id)) runtime.breakers.delete(id);
  for (const id of [...runtime.modelStats.keys()]) if (!ids.has(id)) runtime.modelStats.delete(id);
  const breakerSettings = { ...defaultCircuitBreakerSettings, ...(config.circuitBreaker || {}) };
  for (const breaker of runtime.breakers.values()) breaker.settings = breakerSettings;
  runtime.slots = new Map(
    config.models.map((model) => [
      model.id,
      {
        id: model.id,
        config: model,
        entry: pool.peek(model.id),
        stats: runtime.statsFor(model.id),
        breaker: runtime.breaker(model.id),
      },
    ]),
  );
  runtime.allSlots = [...runtime.slots.values()];
  runtime.routeSlots = new Map(
    Object.entries(config.routes).map(([name, route]) => {
      const routeIds = route.models
        ? [...new Set([...route.models, ...(route.fallback ?? [])])]
        : route.fallback;
      return [name, routeIds ? routeIds.map((id) => runtime.slots.get(id)!) : runtime.allSlots];
    }),
  );
  runtime.costs.setPricing(config.models.map((model) => [model.id, model.pricing]));
  runtime.quality.setPriors(config.models.map((model) => [model.id, model.quality]));
  if (config.balancedWeights)
    runtime.strategies.set('balanced', createBalancedStrategy(config.balancedWeights));
  const cacheSettings = config.cache;
  if (cacheSettings?.enabled || (runtime.customCacheStore && cacheSettings?.enabled !== false)) {
    const ttlMs = cacheSettings?.ttlMs ?? 300_000;
    if (runtime.cache) runtime.cache.defaultTtlMs = ttlMs;
    else {
      const store =
        runtime.customCacheStore ??
        createMemoryCacheStore({
          clock,
          ...(cacheSettings?.maxEntries !== undefined
            ? { maxEntries: cacheSettings.maxEntries }
            : {}),
          ...(cacheSettings?.maxBytes !== undefined
            ? { maxBytes: parseMemorySize(cacheSettings.maxBytes) }
            : {}),
        });
      runtime.cache = new CacheManager(store, ttlMs, () => clock.now());
    }
  } else runtime.cache = undefined;
  scheduleHealthChecks(runtime);
  if (!initial) {
    runtime.emit({
      type: 'config-reload',
      time: clock.now(),
      models: config.models.length,
      routes: Object.keys(config.routes).length,
      added,
      removed,
    });
  }
  return { added, removed };
}
