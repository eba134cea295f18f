/**
 * The routing decision for one request: the name resolved, a spent budget applied
 * (refuse or downgrade), candidates filtered by capability, context length and circuit,
 * then ranked by the strategy; plus the retry and timeout settings that apply.
 */
import { InvalidArgumentError, type ModelV1Capability } from '@llmr/core';
import type { ResolvedRouteConfig } from '../config/router-config-schema';
import { RouterError } from '../errors';
import { defaultRetrySettings, type RetrySettings } from '../resilience/retry-policy';
import type { ModelSlot, RouterRuntime } from '../router-runtime';
import type {
  RouterEmbedRequest,
  RouterRequest,
  RouterTimeouts,
  RoutingInfo,
  StrategyContext,
} from '../types';
import { candidateSnapshot, rankSnapshot } from './candidate-snapshot';
import { capabilityMask, requiredCapabilities } from './capability-filter';
import { estimatePromptTokens, promptTokenUpperBound } from './estimate-prompt-tokens';
import { defineLazyCandidates } from './lazy-candidates';
import { CandidateOrder, LazyRanking } from './lazy-ranking';
import { resolveTarget } from './resolve-target';

export interface Plan {
  routing: RoutingInfo;
  /** The models to try, best first; only the first is known before anyone asks for more. */
  order: CandidateOrder;
  route?: ResolvedRouteConfig;
  retry: RetrySettings;
  timeouts: RouterTimeouts;
  cacheKey?: { key: string; normalized: string; ttlMs: number };
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

  // The candidates are read from the order when first asked for (an accessor, so a spread
  // or JSON.stringify still sees them): a request that runs its first choice never ranks the rest.
  let order: CandidateOrder | undefined;
  const fields: Omit<RoutingInfo, 'candidates'> = {
    requestId,
    requested,
    resolution: { kind: resolution.kind, target: resolution.target, aliases: resolution.aliases },
    ...(routeName ? { route: routeName } : {}),
    strategy: strategyName,
    excluded: [],
    attempts: [],
    cached: false,
    promptTokens: estimate,
    timings: { startedAt: runtime.clock.now() },
  };
  const routing: RoutingInfo = defineLazyCandidates(fields, () =>
    order ? order.candidates() : [],
  );

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

  // Capability and health filters come before any ranking; a current snapshot has them.
  const required: ModelV1Capability[] = callOptions
    ? requiredCapabilities(callOptions)
    : ['embeddings'];
  const snapshot = candidateSnapshot(
    runtime,
    slots,
    {
      routeName,
      callOptions,
      required,
      requiredMask: capabilityMask(required),
      estimate,
      upperBound: callOptions ? promptTokenUpperBound(callOptions) : 0,
      expectedOutputTokens,
    },
    // A pinned model's or a downgraded request's slot list is made for this request.
    runtime.reuseSnapshots && resolution.kind !== 'model' && routing.downgraded === undefined,
  );
  const views = snapshot.views;
  routing.excluded = snapshot.excluded.slice();
  if (snapshot.exactPromptTokens !== undefined) routing.promptTokens = snapshot.exactPromptTokens;

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
    order = new CandidateOrder(
      LazyRanking.of(
        views.map((view) => ({ modelId: view.modelId, score: 1, details: { pinned: true } })),
      ),
    );
  } else {
    const strategy = runtime.strategies.get(strategyName);
    if (!strategy) {
      throw new InvalidArgumentError({
        argument: 'strategy',
        value: strategyName,
        message: `Unknown strategy "${strategyName}"; use one of ${[...runtime.strategies.keys()].join(', ')}.`,
      });
    }
    // Built only when a strategy ranks: a reused ranking needs no context.
    const context = (): StrategyContext => ({
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
    });
    order = new CandidateOrder(
      rankSnapshot(snapshot, strategy, route, context),
      route?.maxCandidates,
    );
  }
  if (!dryRun && runtime.events.active) {
    const event = {
      type: 'route' as const,
      time: runtime.clock.now(),
      requestId,
      requested,
      ...(routeName ? { route: routeName } : {}),
      strategy: routing.strategy,
      excluded: routing.excluded,
    };
    // Ranked only if a listener reads them; the same array as `routing.candidates`.
    runtime.emit(defineLazyCandidates(event, () => routing.candidates));
  }
  const retry: RetrySettings = { ...defaultRetrySettings, ...config.retry, ...route?.retry };
  const timeouts: RouterTimeouts = {
    ...config.timeouts,
    ...route?.timeouts,
    ...request.timeouts,
  };
  return {
    routing,
    order,
    ...(route ? { route } : {}),
    retry,
    timeouts,
  };
}
