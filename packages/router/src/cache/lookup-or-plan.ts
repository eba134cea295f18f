/**
 * The cache, then the plan: a hit comes back with its routing (and emits cache-hit);
 * otherwise the plan carries the cache key (and cache-miss is emitted). The key is the
 * resolved target plus the model-facing request, so aliases of one route share entries.
 */
import { type ModelV1GenerateResult, validateCallOptions } from '@llmr/core';
import type { RouterRuntime } from '../router-runtime';
import { estimatePromptTokens } from '../routing/estimate-prompt-tokens';
import { type Plan, planRequest } from '../routing/plan-request';
import { resolveTarget } from '../routing/resolve-target';
import type { RouterRequest, RoutingInfo } from '../types';

function cacheLookupKey(
  runtime: RouterRuntime,
  request: RouterRequest,
): { key: string; normalized: string; ttlMs: number } | undefined {
  const cache = runtime.cache;
  if (!cache || request.cache === false) return undefined;
  const resolution = resolveTarget(runtime, request.model ?? 'auto');
  const routeCache = resolution.route?.cache;
  if (routeCache === false) return undefined;
  const ttlMs =
    (typeof routeCache === 'object' ? routeCache.ttlMs : undefined) ?? cache.defaultTtlMs;
  return {
    ...cache.key(
      resolution.kind === 'auto' ? 'auto' : `${resolution.kind}:${resolution.target}`,
      request,
    ),
    ttlMs,
  };
}

function cachedRouting(
  runtime: RouterRuntime,
  request: RouterRequest,
  modelId: string,
): RoutingInfo {
  const resolution = resolveTarget(runtime, request.model ?? 'auto');
  return {
    requestId: request.requestId ?? runtime.nextRequestId(),
    requested: request.model ?? 'auto',
    resolution: { kind: resolution.kind, target: resolution.target, aliases: resolution.aliases },
    ...(resolution.kind === 'route' ? { route: resolution.target } : {}),
    strategy: 'cache',
    modelId,
    candidates: [],
    excluded: [],
    attempts: [],
    cached: true,
    promptTokens: (runtime.options.estimateTokens ?? estimatePromptTokens)(request),
    costUsd: 0,
    timings: { startedAt: runtime.clock.now(), totalMs: 0 },
  };
}

export async function lookupOrPlan(
  runtime: RouterRuntime,
  request: RouterRequest,
  kind: 'generate' | 'stream',
): Promise<
  | { hit: { result: ModelV1GenerateResult; routing: RoutingInfo }; plan?: undefined }
  | { hit?: undefined; plan: Plan }
> {
  runtime.assertAlive();
  validateCallOptions(request);
  const cacheKey = cacheLookupKey(runtime, request);
  if (cacheKey) {
    const hit = await runtime.cache!.get(cacheKey.key, cacheKey.normalized);
    if (hit) {
      const routing = cachedRouting(runtime, request, hit.modelId);
      routing.usage = hit.result.usage;
      runtime.emit({
        type: 'cache-hit',
        time: runtime.clock.now(),
        requestId: routing.requestId,
        key: cacheKey.key,
      });
      return { hit: { result: hit.result, routing } };
    }
  }
  const plan = planRequest(runtime, request, kind);
  if (cacheKey) {
    plan.cacheKey = cacheKey;
    runtime.emit({
      type: 'cache-miss',
      time: runtime.clock.now(),
      requestId: plan.routing.requestId,
      key: cacheKey.key,
    });
  }
  return { plan };
}
