/**
 * The routing decision for one request: the name resolved, a spent budget applied
 * (refuse or downgrade), candidates filtered by capability, context length and circuit,
 * then ranked by the strategy; plus the retry and timeout settings that apply.
 */
import { InvalidArgumentError, type ModelV1Capability } from '@llmr/core';
import type { ResolvedRouteConfig } from '../config/router-config-schema';
import { RouterError } from '../errors';
import { pipelineCapabilities } from '../pipeline/build-pipelines';
import { defaultRetrySettings, type RetrySettings } from '../resilience/retry-policy';
import type { ModelSlot, RouterRuntime } from '../router-runtime';
import type {
  CandidateView,
  RouterEmbedRequest,
  RouterRequest,
  RouterTimeouts,
  RoutingInfo,
  StrategyContext,
} from '../types';
import {
  cachedCapabilityMask,
  capabilityMask,
  missingCapability,
  requiredCapabilities,
} from './capability-filter';
import {
  countPromptTokens,
  estimatePromptTokens,
  promptTokenUpperBound,
} from './estimate-prompt-tokens';
import { resolveTarget } from './resolve-target';

export interface Plan {
  routing: RoutingInfo;
  order: string[];
  route?: ResolvedRouteConfig;
  retry: RetrySettings;
  timeouts: RouterTimeouts;
  cacheKey?: { key: string; normalized: string; ttlMs: number };
}

/** The slot's cached quality prior, refreshed when the priors changed since. */
function qualityPrior(runtime: RouterRuntime, slot: ModelSlot): number {
  if (slot.qualityVersion !== runtime.quality.version || slot.qualityPrior === undefined) {
    slot.qualityPrior = runtime.quality.prior(slot.id);
    slot.qualityVersion = runtime.quality.version;
  }
  return slot.qualityPrior;
}

export function planRequest(
  runtime: RouterRuntime,
  request: RouterRequest | RouterEmbedRequest,
  mode: 'generate' | 'stream' | 'embed',
  dryRun = false,
): Plan {
  const requestId = request.requestId ?? runtime.nextRequestId();
  const requested = request.model ?? 'auto';
  const resolution = resolveTarget(runtime, requested);
  const route = resolution.route;
  const routeName = resolution.kind === 'route' ? resolution.target : undefined;
  const config = runtime.config;
  let slots: ModelSlot[];
  if (resolution.kind === 'model') slots = [runtime.slots.get(resolution.target)!];
  else if (routeName) slots = runtime.routeSlots.get(routeName) ?? runtime.allSlots;
  else slots = runtime.allSlots;

  const callOptions = mode === 'embed' ? undefined : (request as RouterRequest);
  const estimate = callOptions
    ? (runtime.options.estimateTokens ?? estimatePromptTokens)(callOptions)
    : 0;
  const expectedOutputTokens =
    mode === 'embed'
      ? 0
      : ((request as RouterRequest).expectedOutputTokens ??
        (request as RouterRequest).maxTokens ??
        256);
  let strategyName =
    resolution.kind === 'model'
      ? 'pinned'
      : (request.strategy ??
        route?.strategy ??
        (route?.fallback ? 'fallback' : undefined) ??
        config.strategy ??
        'balanced');

  const routing: RoutingInfo = {
    requestId,
    requested,
    resolution: { kind: resolution.kind, target: resolution.target, aliases: resolution.aliases },
    ...(routeName ? { route: routeName } : {}),
    strategy: strategyName,
    candidates: [],
    excluded: [],
    attempts: [],
    cached: false,
    promptTokens: estimate,
    timings: { startedAt: runtime.clock.now() },
  };

  // A spent budget refuses, or narrows the candidates to cheaper models.
  if (route?.budget && routeName && !dryRun) {
    const { limitUsd, windowMs, onExceeded = 'refuse', downgradeTo } = route.budget;
    const spentUsd = runtime.budgets.spent(routeName, windowMs);
    if (spentUsd >= limitUsd) {
      runtime.emit({
        type: 'budget-exceeded',
        time: runtime.clock.now(),
        requestId,
        route: routeName,
        spentUsd,
        limitUsd,
        action: onExceeded,
      });
      if (onExceeded === 'refuse') {
        throw new RouterError({
          code: 'budget-exceeded',
          message: `Route "${routeName}" has spent $${spentUsd.toFixed(6)} of its $${limitUsd} budget for this ${windowMs} ms window. Wait, raise budget.limitUsd, or set budget.onExceeded: downgrade.`,
          routing,
          retryAfterMs: runtime.budgets.nextRelease(routeName, windowMs),
        });
      }
      const cheapest = [...slots].sort(
        (a, b) =>
          runtime.costs.estimate(a.id, estimate, expectedOutputTokens) -
          runtime.costs.estimate(b.id, estimate, expectedOutputTokens),
      )[0];
      slots = downgradeTo
        ? downgradeTo.flatMap((id) => runtime.slots.get(id) ?? [])
        : cheapest
          ? [cheapest]
          : [];
      strategyName = 'cost-optimized';
      routing.strategy = strategyName;
      routing.downgraded = { reason: 'budget-exceeded', route: routeName, spentUsd, limitUsd };
    }
  }

  // Capability and health filters come before any ranking.
  const required: ModelV1Capability[] = callOptions
    ? requiredCapabilities(callOptions)
    : ['embeddings'];
  const requiredMask = capabilityMask(required);
  const views: CandidateView[] = [];
  const hasPipelines = runtime.pipelines.routes.size + runtime.pipelines.models.size > 0;
  // Exact counts cost a tokenizer pass: only worth it when the prompt might not fit.
  const upperBound = callOptions ? promptTokenUpperBound(callOptions) : 0;
  let counted: { tokenizer: unknown; count: number } | undefined;
  let exactPromptTokens: number | undefined;
  for (let order = 0; order < slots.length; order++) {
    const slot = slots[order]!;
    const { id, config: modelConfig, entry, stats, breaker } = slot;
    const info = entry?.info;
    const declared = modelConfig.capabilities ?? info?.capabilities;
    const added = hasPipelines ? pipelineCapabilities(runtime, routeName, id) : [];
    const capabilities =
      declared && added.length > 0 ? [...new Set([...declared, ...added])] : declared;
    const contextLength = modelConfig.contextLength ?? info?.contextLength;
    const missing =
      capabilities !== undefined &&
      (cachedCapabilityMask(capabilities) & requiredMask) !== requiredMask
        ? missingCapability(capabilities, required)
        : undefined;
    if (missing) {
      routing.excluded.push({
        modelId: id,
        reason: `capability:${missing}`,
        detail: `declares ${capabilities?.join(', ') || 'nothing'}`,
      });
      continue;
    }
    let promptTokens = estimate;
    if (callOptions && contextLength !== undefined && upperBound >= contextLength) {
      const tokenizer = entry?.model?.tokenizer;
      if (tokenizer) {
        if (counted?.tokenizer !== tokenizer)
          counted = { tokenizer, count: countPromptTokens(callOptions, tokenizer) };
        promptTokens = counted.count;
        exactPromptTokens ??= promptTokens;
      }
      if (promptTokens >= contextLength) {
        routing.excluded.push({
          modelId: id,
          reason: 'context-length',
          detail: `prompt ${tokenizer ? '' : '~'}${promptTokens} tokens, context ${contextLength}`,
        });
        continue;
      }
    }
    if (runtime.healing && !runtime.healing.isRoutable(id)) {
      routing.excluded.push({
        modelId: id,
        reason: 'unhealthy',
        detail: runtime.healing.snapshot(id).state,
      });
      continue;
    }
    if (!breaker.canPass()) {
      const snapshot = breaker.snapshot();
      routing.excluded.push({
        modelId: id,
        reason: 'circuit-open',
        detail: snapshot.retryAt !== undefined ? `retry at ${snapshot.retryAt}` : snapshot.state,
      });
      continue;
    }
    const errorRate = stats.errorRate;
    const pricing = modelConfig.pricing;
    const view: CandidateView = {
      modelId: id,
      order,
      capabilities,
      contextLength,
      pricing,
      quality: runtime.quality.score(id, errorRate, qualityPrior(runtime, slot)),
      // The CostOptimizer's formula, inlined: this loop runs once per candidate per request.
      estimatedCostUsd: pricing
        ? (promptTokens * pricing.input + expectedOutputTokens * pricing.output) / 1_000_000
        : 0,
      weight: modelConfig.weight ?? 1,
      inFlight: stats.inFlight,
      loaded: entry?.model !== undefined,
      circuit: breaker.state,
      errorRate,
      ttftMs: stats.ttft.percentile(50) ?? modelConfig.speed?.ttftMs,
      tokensPerSecond: stats.tokensPerSecond.percentile(50) ?? modelConfig.speed?.tokensPerSecond,
      samples: stats.ttft.count,
    };
    views.push(view);
  }
  if (exactPromptTokens !== undefined) routing.promptTokens = exactPromptTokens;

  if (views.length === 0) {
    throw new RouterError({
      code: 'no-candidates',
      // Open circuits close again: worth retrying later. Missing capabilities never are.
      isRetryable: routing.excluded.some(
        (excluded) => excluded.reason === 'circuit-open' || excluded.reason === 'unhealthy',
      ),
      message: `No model can serve this request for "${requested}": ${
        routing.excluded
          .map(
            (excluded) =>
              `${excluded.modelId} (${excluded.reason}${excluded.detail ? `: ${excluded.detail}` : ''})`,
          )
          .join(', ') || 'the route has no models'
      }.`,
      routing,
    });
  }

  if (strategyName === 'pinned') {
    routing.candidates = views.map((view) => ({
      modelId: view.modelId,
      score: 1,
      details: { pinned: true },
    }));
  } else {
    const strategy = runtime.strategies.get(strategyName);
    if (!strategy) {
      throw new InvalidArgumentError({
        argument: 'strategy',
        value: strategyName,
        message: `Unknown strategy "${strategyName}"; use one of ${[...runtime.strategies.keys()].join(', ')}.`,
      });
    }
    const context: StrategyContext = {
      request,
      ...(routeName ? { route: routeName } : {}),
      promptTokens: routing.promptTokens,
      expectedOutputTokens,
      random: runtime.random,
      now: runtime.clock.now(),
      routeSettings: {
        ...(route?.weights ? { weights: route.weights } : {}),
        ...(route?.fallback ? { fallback: route.fallback } : {}),
      },
      state: dryRun ? new Map(runtime.strategyState) : runtime.strategyState,
    };
    routing.candidates = strategy.rank(views, context);
    if (route?.maxCandidates !== undefined)
      routing.candidates = routing.candidates.slice(0, route.maxCandidates);
  }
  if (!dryRun && runtime.events.active) {
    runtime.emit({
      type: 'route',
      time: runtime.clock.now(),
      requestId,
      requested,
      ...(routeName ? { route: routeName } : {}),
      strategy: routing.strategy,
      candidates: routing.candidates,
      excluded: routing.excluded,
    });
  }
  const retry: RetrySettings = { ...defaultRetrySettings, ...config.retry, ...route?.retry };
  const timeouts: RouterTimeouts = {
    ...config.timeouts,
    ...route?.timeouts,
    ...request.timeouts,
  };
  return {
    routing,
    order: routing.candidates.map((candidate) => candidate.modelId),
    ...(route ? { route } : {}),
    retry,
    timeouts,
  };
}
