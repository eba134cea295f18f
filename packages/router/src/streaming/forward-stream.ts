/**
 * The caller's stream over a committed model stream: no fallback from here on. Parts read
 * before the commit go out first, then one part per pull; the end (finish, error or the
 * caller's cancel) settles the attempt, caches a complete answer and resolves `done`.
 */
import {
  AbortError,
  createStreamCollector,
  isAbortError,
  type ModelV1StreamPart,
  type ModelV1Usage,
  TimeoutError,
} from '@llmr/core';
import { describeError } from '../events';
import type { RouterRuntime } from '../router-runtime';
import type { RequestScope } from '../routing/attempt-state';
import { copyRoutingInfo } from '../routing/copy-routing-info';
import type { Plan } from '../routing/plan-request';
import type { RouterStreamResult, RoutingInfo } from '../types';
import type { Committed } from './commit-stream';
import { streamIncompleteError } from './stream-parts';

export function forwardStream(
  runtime: RouterRuntime,
  plan: Plan,
  scope: RequestScope,
  committed: Committed,
): RouterStreamResult {
  const { routing } = plan;
  const { reader, attempt, modelId } = committed;
  const queue = [...committed.pending];
  // Only a cached answer needs the whole text kept.
  const collected = plan.cacheKey ? createStreamCollector({ modelId }) : undefined;
  let usage: ModelV1Usage | undefined;
  let resolveDone!: (routing: RoutingInfo & { error?: unknown }) => void;
  const done = new Promise<RoutingInfo & { error?: unknown }>((resolve) => {
    resolveDone = resolve;
  });
  let closed = false;
  const end = (outcome: { error?: unknown; aborted?: boolean }) => {
    if (closed) return;
    closed = true;
    committed.finish({ ...outcome, ...(usage ? { usage } : {}) });
    scope.close();
    const totalMs = routing.timings?.totalMs ?? runtime.clock.now() - scope.startedAt;
    if (outcome.error === undefined && !outcome.aborted) {
      if (plan.cacheKey && collected)
        void runtime.cache?.set(
          plan.cacheKey.key,
          plan.cacheKey.normalized,
          modelId,
          collected.result(),
          plan.cacheKey.ttlMs,
        );
      runtime.emit({
        type: 'request-finish',
        time: runtime.clock.now(),
        requestId: routing.requestId,
        modelId,
        cached: false,
        ...(routing.costUsd !== undefined ? { costUsd: routing.costUsd } : {}),
        totalMs,
      });
      resolveDone(routing);
    } else {
      runtime.emit({
        type: 'request-error',
        time: runtime.clock.now(),
        requestId: routing.requestId,
        modelId,
        afterFirstToken: true,
        error: describeError(outcome.error ?? new AbortError()),
      });
      resolveDone(copyRoutingInfo(routing, { error: outcome.error ?? new AbortError() }));
    }
  };
  const snapshot = (): RoutingInfo => copyRoutingInfo(routing, { attempts: [...routing.attempts] });

  const handle = (
    part: ModelV1StreamPart,
    controller: ReadableStreamDefaultController<ModelV1StreamPart>,
  ): boolean => {
    switch (part.type) {
      case 'stream-start':
        return false; // Ours went first.
      case 'error':
        controller.enqueue(part);
        end({
          error: part.error,
          aborted:
            scope.signal.aborted &&
            isAbortError(scope.reason) &&
            !TimeoutError.isInstance(scope.reason),
        });
        controller.close();
        return true;
      case 'usage':
        usage = part.usage;
        collected?.push(part);
        controller.enqueue(part);
        return false;
      case 'finish': {
        collected?.push(part);
        end({});
        controller.enqueue({ ...part, metadata: { ...part.metadata, routing: snapshot() } });
        controller.close();
        return true;
      }
      default:
        collected?.push(part);
        controller.enqueue(part);
        return false;
    }
  };

  const fail = (error: unknown, controller: ReadableStreamDefaultController<ModelV1StreamPart>) => {
    void reader.cancel().catch(() => {});
    handle({ type: 'error', error }, controller);
  };

  const stream = new ReadableStream<ModelV1StreamPart>(
    {
      start: (controller) => {
        controller.enqueue({
          type: 'stream-start',
          metadata: {
            routing: snapshot(),
            ...(committed.upstreamStart ? { upstream: committed.upstreamStart } : {}),
          },
        });
      },
      pull: async (controller) => {
        if (closed) return;
        try {
          // Parts read before the commit go out first; then one part per pull.
          while (true) {
            let part = queue.shift();
            if (part === undefined) {
              // The hot path, once per token: one await, no wrappers.
              const result = await reader.read();
              if (attempt.signal.aborted) throw attempt.signal.reason;
              part = result.done
                ? { type: 'error', error: streamIncompleteError(modelId, 'finish') }
                : result.value;
            }
            const stop = handle(part, controller);
            if (stop || part.type !== 'stream-start') return;
          }
        } catch (caught) {
          const error = attempt.signal.aborted ? attempt.signal.reason : caught;
          fail(error, controller);
        }
      },
      cancel: () => {
        attempt.controller.abort(new AbortError({ message: 'The caller cancelled the stream.' }));
        void reader.cancel().catch(() => {});
        end({ aborted: true });
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, routing: snapshot(), done };
}
