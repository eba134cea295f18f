/**
 * The retry and fallback loop: candidate by candidate, each with its retries and
 * backoff, under the circuit breaker, until one attempt succeeds. Every attempt is
 * recorded in the routing info and as events; when all fail, one error lists them.
 */
import {
  AbortError,
  ContentPolicyError,
  InvalidArgumentError,
  isAbortError,
  TimeoutError,
  UnsupportedFunctionalityError,
} from '@llmr/core';
import { sleep } from '../clock';
import { RouterError } from '../errors';
import { describeError } from '../events';
import type { ModelLease } from '../lifecycle/model-pool';
import { backoffDelay, isRetryableError } from '../resilience/retry-policy';
import type { RouterRuntime } from '../router-runtime';
import type { AttemptInfo } from '../types';
import { AttemptScope, type RequestScope } from './attempt-state';
import type { Plan } from './plan-request';

/** Errors that say "this request cannot work here", not "this model is broken". */
export function isRequestSpecific(error: unknown): boolean {
  return (
    InvalidArgumentError.isInstance(error) ||
    UnsupportedFunctionalityError.isInstance(error) ||
    ContentPolicyError.isInstance(error)
  );
}

/**
 * One attempt on a leased model: its value, and whether it counts as a success for the
 * circuit breaker and stats. Without a verdict (a committed stream) the attempt stays
 * open and reports later.
 */
export type AttemptRunner<T> = (
  modelId: string,
  attempt: AttemptScope,
  lease: ModelLease,
) => Promise<{ value: T; verdict?: { success: boolean } }>;

/**
 * `run` performs one attempt on a leased model and says whether it counts as a success
 * for the circuit breaker and stats (a committed stream reports its verdict later,
 * through its own `finish`).
 */
export async function tryCandidates<T>(
  runtime: RouterRuntime,
  plan: Plan,
  scope: RequestScope,
  run: AttemptRunner<T>,
): Promise<{ value: T; modelId: string }> {
  const { routing } = plan;
  let lastError: unknown;
  // The order past its first candidate is ranked only when a fallback reaches it.
  for (let index = 0, modelId = plan.order.at(0); modelId !== undefined; ) {
    for (let retry = 0; retry <= plan.retry.maxRetries; retry++) {
      let delayMs: number | undefined;
      if (retry > 0) {
        const decision = backoffDelay(plan.retry, retry, lastError, runtime.random);
        if ('skip' in decision) {
          routing.attempts.push({
            modelId,
            retry,
            outcome: 'skipped',
            durationMs: 0,
            reason: decision.skip,
          });
          break;
        }
        delayMs = decision.delayMs;
        runtime.emit({
          type: 'retry',
          time: runtime.clock.now(),
          requestId: routing.requestId,
          modelId,
          retry,
          delayMs,
        });
        try {
          await sleep(runtime.clock, delayMs, scope.signal);
        } catch {
          throw stopped(runtime, plan, scope, lastError);
        }
      }
      if (scope.signal.aborted) throw stopped(runtime, plan, scope, lastError);
      const breaker = runtime.breaker(modelId);
      if (!breaker.tryAcquire()) {
        routing.attempts.push({
          modelId,
          retry,
          outcome: 'skipped',
          durationMs: 0,
          reason: `circuit ${breaker.state}`,
        });
        break;
      }
      const started = runtime.clock.now();
      const stats = runtime.statsFor(modelId);
      const attempt = new AttemptScope(runtime.clock, scope, plan.timeouts.firstTokenMs, modelId);
      runtime.emit({
        type: 'attempt-start',
        time: started,
        requestId: routing.requestId,
        modelId,
        retry,
      });
      stats.start(started);
      let lease: ModelLease | undefined;
      try {
        // The attempt's signal carries the request's abort reason (an AbortError when the
        // caller goes away): if every caller waiting for a load goes away, it stops. Asked
        // for only when the model must be loaded: a loaded model's lease needs no signal,
        // and the attempt then need not make one.
        const acquiring = runtime.pool.acquire(modelId, {
          get signal() {
            return attempt.signal;
          },
        });
        lease = await attempt.race(acquiring).catch((error: unknown) => {
          // Loading goes on after a deadline; hand the lease back when it lands.
          acquiring.then(
            (late) => late.release(),
            () => {},
          );
          throw error;
        });
        const { value, verdict } = await run(modelId, attempt, lease);
        const info: AttemptInfo = {
          modelId,
          retry,
          outcome: 'success',
          durationMs: runtime.clock.now() - started,
          ...(delayMs !== undefined ? { delayMs } : {}),
        };
        routing.attempts.push(info);
        if (verdict) {
          // Finished inside the attempt (generate, embed): settle everything now.
          attempt.close();
          lease.release();
          stats.end();
          stats.recordOutcome(verdict.success);
          if (verdict.success) breaker.recordSuccess();
          else breaker.recordFailure();
        }
        return { value, modelId };
      } catch (caught) {
        // The attempt's own abort reason says what really happened (deadline, caller).
        const error = attempt.signal.aborted ? attempt.signal.reason : caught;
        attempt.close();
        attempt.controller.abort(error);
        lease?.release();
        stats.end();
        const callerStopped = scope.signal.aborted;
        if (callerStopped && isAbortError(scope.reason)) breaker.release();
        else if (isRequestSpecific(error)) breaker.release();
        else {
          breaker.recordFailure();
          stats.recordOutcome(false);
        }
        lastError = error;
        const retryable = !callerStopped && isRetryableError(error);
        const willRetry = retryable && retry < plan.retry.maxRetries;
        routing.attempts.push({
          modelId,
          retry,
          outcome: 'error',
          durationMs: runtime.clock.now() - started,
          error: describeError(error),
          ...(delayMs !== undefined ? { delayMs } : {}),
        });
        runtime.emit({
          type: 'attempt-error',
          time: runtime.clock.now(),
          requestId: routing.requestId,
          modelId,
          retry,
          error: describeError(error),
          willRetry,
        });
        if (callerStopped) throw stopped(runtime, plan, scope, error);
        // A pipeline's guardrail refused the request: every candidate runs the same
        // stages, so trying another would only refuse it again.
        if (ContentPolicyError.isInstance(error)) {
          emitRequestError(runtime, plan, error);
          throw error;
        }
        if (!retryable) break;
      }
    }
    index++;
    const next = plan.order.at(index);
    if (next)
      runtime.emit({
        type: 'fallback',
        time: runtime.clock.now(),
        requestId: routing.requestId,
        from: modelId,
        to: next,
        reason: lastError ? describeError(lastError).message : 'skipped',
      });
    modelId = next;
  }
  const error = new RouterError({
    code: 'all-candidates-failed',
    isRetryable: routing.attempts.some(
      (attempt) => attempt.error?.isRetryable || attempt.outcome === 'skipped',
    ),
    message: `Every candidate for "${routing.requested}" failed before its first token: ${routing.attempts
      .map(
        (attempt) =>
          `${attempt.modelId}#${attempt.retry} ${attempt.outcome === 'skipped' ? `skipped (${attempt.reason})` : attempt.error?.message}`,
      )
      .join('; ')}`,
    cause: lastError,
    attempts: routing.attempts,
    routing,
  });
  emitRequestError(runtime, plan, error);
  throw error;
}

function emitRequestError(runtime: RouterRuntime, plan: Plan, error: unknown): void {
  runtime.emit({
    type: 'request-error',
    time: runtime.clock.now(),
    requestId: plan.routing.requestId,
    afterFirstToken: false,
    error: describeError(error),
  });
}

/** The error for a request its caller aborted or its total deadline ended. */
function stopped(
  runtime: RouterRuntime,
  plan: Plan,
  scope: RequestScope,
  lastError: unknown,
): unknown {
  const reason = scope.reason;
  const error = TimeoutError.isInstance(reason)
    ? new RouterError({
        code: 'timeout',
        isRetryable: true,
        message: `${reason.message} Tried: ${plan.routing.attempts.map((attempt) => attempt.modelId).join(', ') || 'nothing'}.`,
        cause: reason,
        attempts: plan.routing.attempts,
        routing: plan.routing,
      })
    : AbortError.isInstance(reason)
      ? reason
      : (lastError ?? reason);
  emitRequestError(runtime, plan, error);
  return error;
}
