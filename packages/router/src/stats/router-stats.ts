import type { CacheStats } from '../cache/cache-manager';
import type { CircuitSnapshot } from '../resilience/circuit-breaker';
import type { RouterRuntime } from '../router-runtime';
import type { ModelStatsSnapshot } from './model-stats';

export interface RouterModelStats extends ModelStatsSnapshot {
  loaded: boolean;
  local: boolean;
  memoryBytes?: number;
  circuit: CircuitSnapshot;
}

export interface RouterStats {
  models: Record<string, RouterModelStats>;
  loadedModels: number;
  memoryBytes: number;
  cache?: CacheStats;
  budgets: Record<
    string,
    { spentUsd: number; limitUsd: number; windowMs: number; exceeded: boolean }
  >;
  totalCostUsd: number;
}

/** Live numbers per model (in flight, TTFT and tokens/s percentiles, error rate, circuit), cache and budgets. */
export function routerStats(runtime: RouterRuntime): RouterStats {
  const { pool, config } = runtime;
  const models: Record<string, RouterModelStats> = {};
  let totalCostUsd = 0;
  for (const id of pool.ids()) {
    const view = pool.view(id)!;
    const stats = runtime.statsFor(id).snapshot();
    totalCostUsd += stats.totalCostUsd;
    models[id] = {
      ...stats,
      loaded: view.loaded,
      local: view.local,
      ...(view.memoryBytes !== undefined ? { memoryBytes: view.memoryBytes } : {}),
      circuit: runtime.breakers.get(id)?.snapshot() ?? { state: 'closed', consecutiveFailures: 0 },
    };
  }
  const budgets: RouterStats['budgets'] = {};
  for (const [name, route] of Object.entries(config.routes)) {
    if (!route.budget) continue;
    const spentUsd = runtime.budgets.spent(name, route.budget.windowMs);
    budgets[name] = {
      spentUsd,
      limitUsd: route.budget.limitUsd,
      windowMs: route.budget.windowMs,
      exceeded: spentUsd >= route.budget.limitUsd,
    };
  }
  return {
    models,
    loadedModels: pool.loadedLocalCount,
    memoryBytes: pool.memoryInUse,
    ...(runtime.cache ? { cache: runtime.cache.stats() } : {}),
    budgets,
    totalCostUsd,
  };
}
