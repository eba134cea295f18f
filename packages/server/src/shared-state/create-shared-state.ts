/**
 * Picks the shared state a server runs on: Redis when a URL is given (wrapped so that a
 * Redis outage degrades to per-process state instead of failing requests), memory
 * otherwise. Also exports its status as Prometheus gauges.
 */
import { Gauge, type Registry } from 'prom-client';
import { createMemorySharedState } from './memory-shared-state';
import { createRedisSharedState } from './redis-shared-state';
import { createResilientSharedState, type FailMode } from './resilient-shared-state';
import type { SharedState } from './shared-state';

export interface RedisOptions {
  /** `redis://host:port[/db]`. */
  url: string;
  /** `open` (default): per-process limits while Redis is down; `closed`: refuse with 503. */
  failMode?: FailMode;
  /** Key prefix, so several deployments can share one Redis. Default `llmr:`. */
  keyPrefix?: string;
  /** How often a degraded server probes Redis. Default 1000 ms. */
  probeIntervalMs?: number;
}

export async function createSharedState(
  redis: RedisOptions | undefined,
  log: { warn(message: string): void; info(message: string): void },
): Promise<SharedState> {
  if (!redis) return createMemorySharedState();
  const primary = await createRedisSharedState({
    url: redis.url,
    ...(redis.keyPrefix !== undefined ? { keyPrefix: redis.keyPrefix } : {}),
  });
  return createResilientSharedState({
    primary,
    log,
    ...(redis.failMode ? { failMode: redis.failMode } : {}),
    ...(redis.probeIntervalMs !== undefined ? { probeIntervalMs: redis.probeIntervalMs } : {}),
  });
}

export function registerSharedStateMetrics(registry: Registry, state: SharedState): void {
  new Gauge({
    name: 'llmr_shared_state_degraded',
    help: '1 while Redis is configured but unreachable (limits are per process), else 0.',
    registers: [registry],
    collect() {
      this.set(state.status().mode === 'degraded' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'llmr_shared_state_info',
    help: 'Where rate limits and circuit state live: mode memory, redis or degraded.',
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ mode: state.status().mode }, 1);
    },
  });
}
