/**
 * A circuit breaker per model: `closed` (normal) -> `open` after `failureThreshold`
 * consecutive failures (the model is skipped) -> `half-open` once `resetTimeoutMs` has
 * passed (up to `halfOpenMaxProbes` requests may try it) -> `closed` on a success, or
 * back to `open` on a failure.
 */
import type { Clock } from '../clock';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerSettings {
  failureThreshold: number;
  resetTimeoutMs: number;
  halfOpenMaxProbes: number;
}

export const defaultCircuitBreakerSettings: CircuitBreakerSettings = {
  failureThreshold: 5,
  resetTimeoutMs: 30_000,
  halfOpenMaxProbes: 1,
};

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt?: number;
  /** When an open circuit lets a probe through. */
  retryAt?: number;
}

export class CircuitBreaker {
  private stateValue: CircuitState = 'closed';
  private failures = 0;
  private openedAt: number | undefined;
  private probesInFlight = 0;

  constructor(
    private readonly clock: Clock,
    public settings: CircuitBreakerSettings,
    private readonly onTransition: (from: CircuitState, to: CircuitState) => void = () => {},
  ) {}

  /** The state as of now: an open circuit past its reset timeout reads as half-open. */
  get state(): CircuitState {
    if (
      this.stateValue === 'open' &&
      this.openedAt !== undefined &&
      this.clock.now() >= this.openedAt + this.settings.resetTimeoutMs
    ) {
      return 'half-open';
    }
    return this.stateValue;
  }

  /** Whether a request may go to the model now (without reserving a probe). */
  canPass(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.probesInFlight < this.settings.halfOpenMaxProbes;
  }

  /** Reserves a pass; returns false when the circuit refuses. Pair with success/failure/release. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.stateValue === 'open') this.transition('half-open');
    if (this.probesInFlight >= this.settings.halfOpenMaxProbes) return false;
    this.probesInFlight++;
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    if (this.probesInFlight > 0) this.probesInFlight--;
    if (this.stateValue !== 'closed') {
      this.openedAt = undefined;
      this.probesInFlight = 0;
      this.transition('closed');
    }
  }

  recordFailure(): void {
    this.failures++;
    if (this.probesInFlight > 0) this.probesInFlight--;
    const state = this.state;
    if (
      state === 'half-open' ||
      (state === 'closed' && this.failures >= this.settings.failureThreshold)
    ) {
      this.openedAt = this.clock.now();
      this.transition('open');
    }
  }

  /** Opens the circuit until `retryAt` (another replica saw the failures); never shortens one. */
  forceOpen(retryAt: number): void {
    if (retryAt <= this.clock.now()) return;
    const currentRetryAt =
      this.openedAt !== undefined ? this.openedAt + this.settings.resetTimeoutMs : undefined;
    if (this.stateValue === 'open' && currentRetryAt !== undefined && currentRetryAt >= retryAt)
      return;
    this.openedAt = retryAt - this.settings.resetTimeoutMs;
    this.probesInFlight = 0;
    this.transition('open');
  }

  /** A reserved pass ended with no verdict (the caller aborted). */
  release(): void {
    if (this.probesInFlight > 0) this.probesInFlight--;
  }

  snapshot(): CircuitSnapshot {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.failures,
      ...(this.openedAt !== undefined
        ? { openedAt: this.openedAt, retryAt: this.openedAt + this.settings.resetTimeoutMs }
        : {}),
    };
  }

  private transition(to: CircuitState) {
    const from = this.stateValue;
    if (from === to) return;
    this.stateValue = to;
    this.onTransition(from, to);
  }
}
