/** One embed attempt on a leased model: usage and cost are settled at once (there is no stream to commit). */
import { type ModelV1EmbedResult, UnsupportedFunctionalityError } from '@llmr/core';
import type { RouterRuntime } from '../router-runtime';
import type { RouterEmbedRequest, RouterEmbedResult } from '../types';
import type { RequestScope } from './attempt-state';
import type { Plan } from './plan-request';
import { chargeCost } from './record-usage';
import type { AttemptRunner } from './try-candidates';

export function embedAttempt(
  runtime: RouterRuntime,
  plan: Plan,
  scope: RequestScope,
  request: RouterEmbedRequest,
): AttemptRunner<RouterEmbedResult> {
  return async (modelId, attempt, lease) => {
    const { clock } = runtime;
    const model = lease.model;
    if (!model.doEmbed)
      throw new UnsupportedFunctionalityError({
        functionality: 'embeddings',
        message: `Model "${modelId}" has no doEmbed.`,
      });
    const started = clock.now();
    const result: ModelV1EmbedResult = await attempt.race(
      model.doEmbed({ values: request.values, abortSignal: attempt.signal }),
    );
    const stats = runtime.statsFor(modelId);
    stats.inputTokens += result.usage.inputTokens;
    const costUsd = runtime.costs.estimate(modelId, result.usage.inputTokens, 0);
    chargeCost(runtime, plan, modelId, costUsd);
    plan.routing.modelId = modelId;
    plan.routing.costUsd = costUsd;
    plan.routing.usage = { inputTokens: result.usage.inputTokens, outputTokens: 0 };
    plan.routing.timings = {
      startedAt: scope.startedAt,
      totalMs: clock.now() - scope.startedAt,
    };
    runtime.emit({
      type: 'request-finish',
      time: clock.now(),
      requestId: plan.routing.requestId,
      modelId,
      cached: false,
      costUsd,
      totalMs: clock.now() - started,
    });
    return { value: { ...result, routing: plan.routing }, verdict: { success: true } };
  };
}
