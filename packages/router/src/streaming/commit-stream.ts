/**
 * One stream attempt, up to its commit: read until the first token. Any failure before
 * it throws (and so falls back); once it returns, the stream belongs to this model and
 * its verdict (success, failure, abort) is reported later through `finish`.
 */
import type { ModelV1StreamPart, ModelV1Usage } from '@llmr/core';
import { pipelineModel } from '../pipeline/build-pipelines';
import type { RouterRuntime } from '../router-runtime';
import type { AttemptScope } from '../routing/attempt-state';
import type { Plan } from '../routing/plan-request';
import { recordFirstToken, settleUsage } from '../routing/record-usage';
import { callOptionsOf } from '../routing/router-request-fields';
import { type AttemptRunner, isRequestSpecific } from '../routing/try-candidates';
import type { RouterRequest } from '../types';
import { readFirstToken } from './read-first-token';
import { streamIncompleteError } from './stream-parts';

/** A stream that has produced its first token: from here on it is the caller's. */
export interface Committed {
  modelId: string;
  reader: ReadableStreamDefaultReader<ModelV1StreamPart>;
  pending: ModelV1StreamPart[];
  upstreamStart?: Record<string, unknown>;
  attempt: AttemptScope;
  finish: (outcome: { error?: unknown; usage?: ModelV1Usage; aborted?: boolean }) => void;
}

export function commitStream(
  runtime: RouterRuntime,
  plan: Plan,
  request: RouterRequest,
): AttemptRunner<Committed> {
  return async (modelId, attempt, lease) => {
    const { clock } = runtime;
    const {
      reader,
      startedAt: started,
      pending,
      upstreamStart,
      ended,
      ...first
    } = await readFirstToken(
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
    if (ended) throw streamIncompleteError(modelId, 'first-token');
    // Usage or finish with no token before it: the commit point still counts as the first token.
    const firstTokenAt = first.firstTokenAt ?? clock.now();
    attempt.firstTokenArrived();
    recordFirstToken(runtime, plan, modelId, firstTokenAt - started);
    const { routing } = plan;
    routing.modelId = modelId;
    routing.timings = {
      ...routing.timings!,
      firstTokenMs: firstTokenAt - routing.timings!.startedAt,
    };
    const breaker = runtime.breaker(modelId);
    const stats = runtime.statsFor(modelId);
    let finished = false;
    return {
      value: {
        modelId,
        reader,
        pending,
        ...(upstreamStart ? { upstreamStart } : {}),
        attempt,
        finish: ({ error, usage, aborted }) => {
          if (finished) return;
          finished = true;
          attempt.close();
          lease.release();
          stats.end();
          const totalMs = clock.now() - routing.timings!.startedAt;
          routing.timings = { ...routing.timings!, totalMs };
          if (aborted) breaker.release();
          else if (error === undefined) {
            stats.recordOutcome(true);
            breaker.recordSuccess();
          } else if (!isRequestSpecific(error)) {
            stats.recordOutcome(false);
            breaker.recordFailure();
          } else breaker.release();
          if (usage) settleUsage(runtime, plan, modelId, usage, firstTokenAt);
        },
      },
    };
  };
}
