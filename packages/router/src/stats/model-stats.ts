/** Live per-model numbers: in-flight count, time to first token, tokens/s, error rate. */
import { PercentileWindow } from './percentile-window';

export interface ModelStatsSnapshot {
  inFlight: number;
  requests: number;
  successes: number;
  errors: number;
  /** Share of errors among the last `outcomeWindow` outcomes. */
  errorRate: number;
  ttftMs: { p50?: number; p90?: number; p99?: number; count: number };
  tokensPerSecond: { p50?: number; p90?: number; p99?: number; count: number };
  lastUsedAt?: number;
  totalCostUsd: number;
  inputTokens: number;
  outputTokens: number;
}

export class ModelStats {
  inFlight = 0;
  requests = 0;
  successes = 0;
  errors = 0;
  totalCostUsd = 0;
  inputTokens = 0;
  outputTokens = 0;
  lastUsedAt: number | undefined;
  readonly ttft = new PercentileWindow(100);
  readonly tokensPerSecond = new PercentileWindow(100);
  private readonly outcomes: boolean[] = [];
  private outcomeNext = 0;
  private failuresInWindow = 0;

  constructor(private readonly outcomeWindow = 50) {}

  get errorRate(): number {
    return this.outcomes.length === 0 ? 0 : this.failuresInWindow / this.outcomes.length;
  }

  start(now: number): void {
    this.inFlight++;
    this.requests++;
    this.lastUsedAt = now;
  }

  end(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  recordOutcome(success: boolean): void {
    if (success) this.successes++;
    else this.errors++;
    if (this.outcomes.length < this.outcomeWindow) {
      this.outcomes.push(success);
    } else {
      if (this.outcomes[this.outcomeNext] === false) this.failuresInWindow--;
      this.outcomes[this.outcomeNext] = success;
      this.outcomeNext = (this.outcomeNext + 1) % this.outcomeWindow;
    }
    if (!success) this.failuresInWindow++;
  }

  snapshot(): ModelStatsSnapshot {
    return {
      inFlight: this.inFlight,
      requests: this.requests,
      successes: this.successes,
      errors: this.errors,
      errorRate: this.errorRate,
      ttftMs: this.ttft.summary(),
      tokensPerSecond: this.tokensPerSecond.summary(),
      ...(this.lastUsedAt !== undefined ? { lastUsedAt: this.lastUsedAt } : {}),
      totalCostUsd: this.totalCostUsd,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
    };
  }
}
