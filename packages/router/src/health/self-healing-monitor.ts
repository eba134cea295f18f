/**
 * SelfHealingMonitor: a watchdog per model. A generation that goes `stallMs` without a
 * part is ended with a retryable `stream-stalled` error (and the model's generation
 * aborted); a stall or failure counts against the model, and `failureThreshold` of them
 * in a row mark it unhealthy. An unhealthy model is routed around, unloaded and loaded
 * again (local models; a remote one is only probed), then probed with a 1-token
 * generate; a failed attempt waits twice as long before the next (up to
 * `maxReloadDelayMs`). Each step is a router event: `model-unhealthy`, `model-reload`,
 * `model-recovered`.
 */
import {
  GenerationError,
  isAbortError,
  type ModelV1,
  type ModelV1StreamPart,
  TimeoutError,
} from '@llmr/core';
import { describeError } from '../events';
import type { RouterRuntime } from '../router-runtime';
import { isRequestSpecific } from '../routing/try-candidates';

export interface SelfHealingSettings {
  /** A generation with no part for this long is stalled. Default 30 s. */
  stallMs: number;
  /** Consecutive failures or stalls that mark a model unhealthy. Default 3. */
  failureThreshold: number;
  /** First wait before a reload; doubles after each failed one. Default 1 s. */
  reloadDelayMs: number;
  maxReloadDelayMs: number;
}

export interface ModelHealth {
  state: 'healthy' | 'unhealthy' | 'reloading';
  consecutiveFailures: number;
  /** Reload attempts since the model became unhealthy. */
  reloads: number;
  recoveries: number;
  lastError?: ReturnType<typeof describeError>;
}

export class SelfHealingMonitor {
  private readonly health = new Map<string, ModelHealth>();
  /** Bumped whenever a model's routability may have changed: routing snapshots check it. */
  version = 0;

  constructor(
    private readonly runtime: RouterRuntime,
    public settings: SelfHealingSettings,
  ) {}

  snapshot(modelId: string): ModelHealth {
    return { ...(this.health.get(modelId) ?? this.fresh()) };
  }

  isRoutable(modelId: string): boolean {
    return (this.health.get(modelId)?.state ?? 'healthy') === 'healthy';
  }

  recordSuccess(modelId: string): void {
    const health = this.health.get(modelId);
    if (health?.state === 'healthy') health.consecutiveFailures = 0;
  }

  recordFailure(modelId: string, error: unknown): void {
    // The caller's abort or a request the model refuses says nothing about its health.
    if (isAbortError(error) || isRequestSpecific(error)) return;
    const health = this.entry(modelId);
    if (health.state !== 'healthy') return;
    health.consecutiveFailures++;
    health.lastError = describeError(error);
    if (health.consecutiveFailures < this.settings.failureThreshold) return;
    health.state = 'unhealthy';
    this.version++;
    this.runtime.emit({
      type: 'model-unhealthy',
      time: this.runtime.clock.now(),
      modelId,
      consecutiveFailures: health.consecutiveFailures,
      error: health.lastError,
    });
    this.scheduleReload(modelId, this.settings.reloadDelayMs);
  }

  /**
   * The model with a watchdog on its streams: each part restarts the stall timer; a
   * stall aborts the generation through `abort` and ends the stream with an error part.
   */
  watch(modelId: string, model: ModelV1, abort: (reason: unknown) => void): ModelV1 {
    const monitor = this;
    const { clock } = this.runtime;
    return {
      ...model,
      info: model.info,
      async doStream(options) {
        let upstream: ReadableStreamDefaultReader<ModelV1StreamPart>;
        try {
          upstream = (await model.doStream(options)).stream.getReader();
        } catch (error) {
          monitor.recordFailure(modelId, error);
          throw error;
        }
        let timer: unknown;
        let stalled!: (value: 'stalled') => void;
        const stall = new Promise<'stalled'>((resolve) => {
          stalled = resolve;
        });
        const rearm = () => {
          if (timer !== undefined) clock.clearTimeout(timer);
          timer = clock.setTimeout(() => stalled('stalled'), monitor.settings.stallMs);
        };
        rearm();
        const stop = () => {
          if (timer !== undefined) clock.clearTimeout(timer);
        };
        return {
          stream: new ReadableStream<ModelV1StreamPart>({
            async pull(controller) {
              const next = await Promise.race([upstream.read(), stall]);
              if (next === 'stalled') {
                const error = new GenerationError({
                  modelId,
                  code: 'stream-stalled',
                  isRetryable: true,
                  message: `Model "${modelId}" produced nothing for ${monitor.settings.stallMs} ms mid-generation; the generation was stopped and the model will be checked.`,
                  cause: new TimeoutError({
                    timeoutMs: monitor.settings.stallMs,
                    message: 'stalled',
                  }),
                });
                abort(error);
                void upstream.cancel(error).catch(() => {});
                monitor.recordFailure(modelId, error);
                controller.enqueue({ type: 'error', error });
                controller.close();
                return;
              }
              if (next.done) {
                stop();
                controller.close();
                return;
              }
              rearm();
              const part = next.value;
              if (part.type === 'finish') {
                stop();
                monitor.recordSuccess(modelId);
              } else if (part.type === 'error') {
                stop();
                monitor.recordFailure(modelId, part.error);
              }
              controller.enqueue(part);
            },
            cancel(reason) {
              stop();
              return upstream.cancel(reason);
            },
          }),
        };
      },
    };
  }

  private scheduleReload(modelId: string, delayMs: number): void {
    const { clock } = this.runtime;
    clock.setTimeout(() => void this.reload(modelId, delayMs), delayMs, { background: true });
  }

  private async reload(modelId: string, delayMs: number): Promise<void> {
    const { runtime } = this;
    const health = this.health.get(modelId);
    if (!health || runtime.disposed || !runtime.pool.has(modelId)) return;
    health.state = 'reloading';
    this.version++;
    health.reloads++;
    runtime.emit({
      type: 'model-reload',
      time: runtime.clock.now(),
      modelId,
      attempt: health.reloads,
    });
    try {
      // A local model is loaded afresh; one still in use (a wedged request) is probed as is.
      await runtime.pool.unload(modelId, 'manual');
      const lease = await runtime.pool.acquire(modelId);
      try {
        await this.probe(modelId, lease.model);
      } finally {
        lease.release();
      }
      health.state = 'healthy';
      this.version++;
      health.consecutiveFailures = 0;
      health.recoveries++;
      runtime.emit({
        type: 'model-recovered',
        time: runtime.clock.now(),
        modelId,
        reloads: health.reloads,
      });
      health.reloads = 0;
    } catch (error) {
      health.state = 'unhealthy';
      this.version++;
      health.lastError = describeError(error);
      this.scheduleReload(modelId, Math.min(delayMs * 2, this.settings.maxReloadDelayMs));
    }
  }

  /** A 1-token generate that must finish within `stallMs`. */
  private async probe(modelId: string, model: ModelV1): Promise<void> {
    const controller = new AbortController();
    const { clock } = this.runtime;
    let timer: unknown;
    const deadline = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        const error = new TimeoutError({
          timeoutMs: this.settings.stallMs,
          message: `The recovery probe of "${modelId}" took over ${this.settings.stallMs} ms.`,
        });
        controller.abort(error);
        reject(error);
      }, this.settings.stallMs);
    });
    try {
      await Promise.race([
        model.doGenerate({ prompt: 'ping', maxTokens: 1, abortSignal: controller.signal }),
        deadline,
      ]);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  private fresh(): ModelHealth {
    return { state: 'healthy', consecutiveFailures: 0, reloads: 0, recoveries: 0 };
  }

  private entry(modelId: string): ModelHealth {
    let health = this.health.get(modelId);
    if (!health) {
      health = this.fresh();
      this.health.set(modelId, health);
    }
    return health;
  }
}
