/**
 * One generate attempt. A model called as it is (no pipeline stages, no self-healing
 * watchdog on its stream) with no first-token deadline answers through `doGenerate`: no
 * stream, reader or part promises between model and result. Otherwise the model is
 * streamed (so a first-token deadline and stream stages apply) and its parts folded into
 * a result. Any failure before the answer is complete throws, so a generate falls back
 * until an answer is complete. A complete answer is cached.
 */
import {
  createStreamCollector,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1GenerateResult,
  type ModelV1StreamPart,
} from '@llmr/core';
import { pipelineModel } from '../pipeline/build-pipelines';
import type { RouterRuntime } from '../router-runtime';
import { readFirstToken } from '../streaming/read-first-token';
import { isToken, streamIncompleteError } from '../streaming/stream-parts';
import type { RouterGenerateResult, RouterRequest } from '../types';
import type { AttemptScope } from './attempt-state';
import type { Plan } from './plan-request';
import { recordFirstToken, settleUsage } from './record-usage';
import { callOptionsOf } from './router-request-fields';
import type { AttemptRunner } from './try-candidates';

/** One model call of an attempt. */
interface ModelCall {
  runtime: RouterRuntime;
  plan: Plan;
  modelId: string;
  attempt: AttemptScope;
  model: ModelV1;
  options: ModelV1CallOptions;
}

/** A complete answer, and when its first token came (router clock), if known. */
interface Answer {
  value: ModelV1GenerateResult;
  firstTokenAt: number | undefined;
}

export function generateAttempt(
  runtime: RouterRuntime,
  plan: Plan,
  request: RouterRequest,
): AttemptRunner<RouterGenerateResult> {
  return async (modelId, attempt, lease) => {
    const model = pipelineModel(runtime, plan.routing.route, modelId, lease.model, (reason) =>
      attempt.controller.abort(reason),
    );
    // Only the stream is read under an attempt of its own (a first-token deadline, stages
    // or the watchdog may stop it alone); a whole answer stops with its request.
    const direct = model === lease.model && plan.timeouts.firstTokenMs === undefined;
    const options = callOptionsOf(
      request,
      direct ? attempt.callSignal : attempt.signal,
      runtime.events.active ? plan.routing.requestId : undefined,
    );
    const call = { runtime, plan, modelId, attempt, model, options };
    const result = direct ? await generateWhole(call) : await streamWhole(call);
    return {
      value: settle(runtime, plan, modelId, result.value, result.firstTokenAt),
      verdict: { success: true },
    };
  };
}

/**
 * The answer from the model's `doGenerate`, with when its first token came if the model
 * timed it (a local runtime does; an upstream's non-streaming answer does not).
 */
async function generateWhole(call: ModelCall): Promise<Answer> {
  const { runtime, plan, modelId, attempt, model, options } = call;
  const startedAt = runtime.clock.now();
  const { firstTokenMs, ...value } = await attempt.race(model.doGenerate(options));
  if (firstTokenMs === undefined) return { value, firstTokenAt: undefined };
  recordFirstToken(runtime, plan, modelId, firstTokenMs);
  return { value, firstTokenAt: startedAt + firstTokenMs };
}

/** The answer read from the model's stream, with when its first token came. */
async function streamWhole(call: ModelCall): Promise<Answer> {
  const { runtime, plan, modelId, attempt, model, options } = call;
  const { clock } = runtime;
  const first = await readFirstToken(attempt, model, options, clock);
  const { reader, startedAt: started } = first;
  if (first.ended) throw streamIncompleteError(modelId, 'finish');
  let firstTokenAt = first.firstTokenAt;
  if (firstTokenAt !== undefined) recordFirstToken(runtime, plan, modelId, firstTokenAt - started);
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
  return { value: collector.result(), firstTokenAt };
}

/** A complete answer: usage and cost settled, timings, the cache, the finish event. */
function settle(
  runtime: RouterRuntime,
  plan: Plan,
  modelId: string,
  result: ModelV1GenerateResult,
  firstTokenAt: number | undefined,
): RouterGenerateResult {
  const { clock } = runtime;
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
  return { ...result, routing } as RouterGenerateResult;
}
