/** Every decision the router makes is an event: routing, attempts, retries, fallbacks, lifecycle. */
import type { CircuitState } from './resilience/circuit-breaker';
import type { AttemptError, ExcludedCandidate, RankedCandidate } from './types';

type Base = { time: number };

export type RouterEvent = Base &
  (
    | {
        type: 'route';
        requestId: string;
        requested: string;
        route?: string;
        strategy: string;
        candidates: RankedCandidate[];
        excluded: ExcludedCandidate[];
      }
    | { type: 'attempt-start'; requestId: string; modelId: string; retry: number }
    | {
        type: 'attempt-error';
        requestId: string;
        modelId: string;
        retry: number;
        error: AttemptError;
        willRetry: boolean;
      }
    | { type: 'retry'; requestId: string; modelId: string; retry: number; delayMs: number }
    | { type: 'fallback'; requestId: string; from: string; to: string; reason: string }
    | { type: 'first-token'; requestId: string; modelId: string; ttftMs: number }
    | {
        type: 'request-finish';
        requestId: string;
        modelId: string;
        cached: boolean;
        costUsd?: number;
        totalMs: number;
      }
    | {
        type: 'request-error';
        requestId: string;
        modelId?: string;
        afterFirstToken: boolean;
        error: AttemptError;
      }
    | { type: 'cache-hit' | 'cache-miss'; requestId: string; key: string }
    | {
        type: 'budget-exceeded';
        requestId: string;
        route: string;
        spentUsd: number;
        limitUsd: number;
        action: 'refuse' | 'downgrade';
      }
    | { type: 'model-load'; modelId: string; durationMs: number; memoryBytes?: number }
    | { type: 'model-load-error'; modelId: string; error: AttemptError }
    | {
        type: 'model-unload';
        modelId: string;
        reason: 'idle' | 'lru' | 'memory' | 'reload' | 'dispose' | 'manual';
      }
    | { type: 'circuit-state'; modelId: string; from: CircuitState; to: CircuitState }
    | {
        type: 'model-unhealthy';
        modelId: string;
        consecutiveFailures: number;
        error?: AttemptError;
      }
    | { type: 'model-reload'; modelId: string; attempt: number }
    | { type: 'model-recovered'; modelId: string; reloads: number }
    | {
        type: 'health-check';
        modelId: string;
        healthy: boolean;
        durationMs: number;
        error?: AttemptError;
      }
    | { type: 'config-reload'; models: number; routes: number; added: string[]; removed: string[] }
    | { type: 'config-error'; error: AttemptError }
  );

export type RouterEventType = RouterEvent['type'];
export type RouterEventListener = (event: RouterEvent) => void;

export class RouterEvents {
  private readonly listeners = new Set<RouterEventListener>();

  subscribe(listener: RouterEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  emit(event: RouterEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's bug must never break a request.
      }
    }
  }
}

export function describeError(error: unknown): AttemptError {
  if (error instanceof Error) {
    const fields = error as Error & { code?: unknown; isRetryable?: unknown };
    return {
      name: error.name,
      ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
      message: error.message,
      isRetryable: fields.isRetryable === true,
    };
  }
  return { name: 'Error', message: String(error), isRetryable: false };
}
