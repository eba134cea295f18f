/**
 * One health check of each loaded (or remote) model: a 1-token generate, or the
 * configured `healthProbe`, under a deadline. Results feed the circuit breakers.
 */
import { TimeoutError } from '@llmr/core';
import { describeError } from '../events';
import type { ModelLease } from '../lifecycle/model-pool';
import type { RouterRuntime } from '../router-runtime';

export interface HealthReport {
  modelId: string;
  healthy: boolean;
  durationMs: number;
  error?: ReturnType<typeof describeError>;
}

export function checkHealth(runtime: RouterRuntime, ids?: string[]): Promise<HealthReport[]> {
  const { clock, pool } = runtime;
  const settings = runtime.config.healthCheck || undefined;
  const targets = (ids ?? pool.ids()).filter((id) => pool.isLoaded(id));
  return Promise.all(
    targets.map(async (modelId) => {
      const started = clock.now();
      const controller = new AbortController();
      const timeoutMs = settings?.timeoutMs ?? 10_000;
      const timer = clock.setTimeout(
        () =>
          controller.abort(
            new TimeoutError({
              timeoutMs,
              message: `Health check of "${modelId}" timed out after ${timeoutMs} ms.`,
            }),
          ),
        timeoutMs,
      );
      const breaker = runtime.breaker(modelId);
      let lease: ModelLease | undefined;
      try {
        lease = await pool.acquire(modelId);
        const probe =
          runtime.options.healthProbe?.(lease.model, controller.signal) ??
          lease.model
            .doGenerate({
              prompt: settings?.prompt ?? 'ping',
              maxTokens: 1,
              abortSignal: controller.signal,
            })
            .then(() => undefined);
        await Promise.race([
          probe,
          new Promise<never>((_, reject) =>
            controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
              once: true,
            }),
          ),
        ]);
        breaker.recordSuccess();
        const report: HealthReport = { modelId, healthy: true, durationMs: clock.now() - started };
        runtime.emit({ type: 'health-check', time: clock.now(), ...report });
        return report;
      } catch (caught) {
        const error = controller.signal.aborted ? controller.signal.reason : caught;
        breaker.recordFailure();
        const report: HealthReport = {
          modelId,
          healthy: false,
          durationMs: clock.now() - started,
          error: describeError(error),
        };
        runtime.emit({ type: 'health-check', time: clock.now(), ...report });
        return report;
      } finally {
        clock.clearTimeout(timer);
        lease?.release();
      }
    }),
  );
}
