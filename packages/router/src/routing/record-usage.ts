/** What a finished or committed attempt adds to the model's stats, the route's budget and the routing info. */
import type { ModelV1Usage } from '@llmr/core';
import type { RouterRuntime } from '../router-runtime';
import type { Plan } from './plan-request';

export function recordFirstToken(
  runtime: RouterRuntime,
  plan: Plan,
  modelId: string,
  ttftMs: number,
): void {
  runtime.statsFor(modelId).ttft.record(ttftMs);
  runtime.emit({
    type: 'first-token',
    time: runtime.clock.now(),
    requestId: plan.routing.requestId,
    modelId,
    ttftMs,
  });
}

export function settleUsage(
  runtime: RouterRuntime,
  plan: Plan,
  modelId: string,
  usage: ModelV1Usage,
  firstTokenAt: number | undefined,
): void {
  const stats = runtime.statsFor(modelId);
  stats.inputTokens += usage.inputTokens;
  stats.outputTokens += usage.outputTokens;
  if (firstTokenAt !== undefined && usage.outputTokens >= 2) {
    const seconds = (runtime.clock.now() - firstTokenAt) / 1000;
    // Tokens after the first, over the time they took.
    if (seconds > 0) stats.tokensPerSecond.record((usage.outputTokens - 1) / seconds);
  }
  const costUsd = runtime.costs.costOf(modelId, usage);
  chargeCost(runtime, plan, modelId, costUsd);
  plan.routing.modelId = modelId;
  plan.routing.usage = usage;
  plan.routing.costUsd = costUsd;
}

export function chargeCost(
  runtime: RouterRuntime,
  plan: Plan,
  modelId: string,
  costUsd: number,
): void {
  runtime.statsFor(modelId).totalCostUsd += costUsd;
  if (plan.routing.route && costUsd > 0) runtime.budgets.record(plan.routing.route, costUsd);
}
