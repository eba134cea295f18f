/**
 * One generate attempt: the model is streamed (so a first-token deadline applies) and
 * its parts folded into a result. Any failure before the finish part throws, so a
 * generate falls back until an answer is complete. A complete answer is cached.
 */
import { createStreamCollector, type ModelV1StreamPart } from '@llmr/core';
import { pipelineModel } from '../pipeline/build-pipelines';
import type { RouterRuntime } from '../router-runtime';
import { readFirstToken } from '../streaming/read-first-token';
import { isToken, streamIncompleteError } from '../streaming/stream-parts';
import type { RouterGenerateResult, RouterRequest } from '../types';
import type { Plan } from './plan-request';
import { recordFirstToken, settleUsage } from './record-usage';
import { callOptionsOf } from './router-request-fields';
import type { AttemptRunner } from './try-candidates';

export function generateAttempt(
  runtime: RouterRuntime,
  plan: Plan,
  request: RouterRequest,
): AttemptRunner<RouterGenerateResult> {
  return async (modelId, attempt, lease) => {
    const { clock } = runtime;
    const first = await readFirstToken(
      attempt,
      pipelineModel(runtime, plan.routing.route, modelId, lease.model, (reason) =>
        attempt.controller.abort(reason),
      ),
      callOptionsOf(
        request,
        attempt.signal,
        runtime.events.active ? plan.routing.requestId : undefined,
      ),
      clock,
    );
    const { reader, startedAt: started } = first;
    if (first.ended) throw streamIncompleteError(modelId, 'finish');
    let firstTokenAt = first.firstTokenAt;
    if (firstTokenAt !== undefined)
      recordFirstToken(runtime, plan, modelId, firstTokenAt - started);
    const collector = createStreamCollector({ modelId });
    let last: ModelV1StreamPart | undefined;
    for (const part of first.pending) {
      collector.push(part);
      last = part;
    }
    // The rest of the answer: a failure here still falls back, as nothing reached the caller.
    try {
      while (last?.type !== 'finish') {
        const { done, value: part } = await attempt.read(reader);
        if (done) throw streamIncompleteError(modelId, 'finish');
        if (part.type === 'error') throw part.error;
        if (firstTokenAt === undefined && isToken(part)) {
          firstTokenAt = clock.now();
          attempt.firstTokenArrived();
          recordFirstToken(runtime, plan, modelId, firstTokenAt - started);
        }
        collector.push(part);
        last = part;
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    }
    reader.releaseLock();
    const result = collector.result();
    const { routing } = plan;
    const totalMs = clock.now() - routing.timings!.startedAt;
    settleUsage(runtime, plan, modelId, result.usage, firstTokenAt);
    routing.timings = {
      ...routing.timings!,
      ...(firstTokenAt !== undefined
        ? { firstTokenMs: firstTokenAt - routing.timings!.startedAt }
        : {}),
      totalMs,
    };
    if (plan.cacheKey)
      void runtime.cache?.set(
        plan.cacheKey.key,
        plan.cacheKey.normalized,
        modelId,
        result,
        plan.cacheKey.ttlMs,
      );
    runtime.emit({
      type: 'request-finish',
      time: clock.now(),
      requestId: routing.requestId,
      modelId,
      cached: false,
      ...(routing.costUsd !== undefined ? { costUsd: routing.costUsd } : {}),
      totalMs,
    });
    return { value: { ...result, routing } as RouterGenerateResult, verdict: { success: true } };
  };
}
