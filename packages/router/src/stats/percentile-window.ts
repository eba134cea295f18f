/**
 * A fixed-size window of recent samples with cached percentiles: recording is O(1),
 * and percentiles are recomputed only when read after a change, so routing decisions
 * that read them stay in microseconds.
 */
export class PercentileWindow {
  private readonly samples: number[] = [];
  private next = 0;
  private sorted: number[] | undefined;

  constructor(private readonly capacity = 100) {}

  get count(): number {
    return this.samples.length;
  }

  record(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.samples.length < this.capacity) this.samples.push(value);
    else this.samples[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.sorted = undefined;
  }

  /** Nearest-rank percentile, p in [0, 100]; undefined with no samples. */
  percentile(p: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    this.sorted ??= [...this.samples].sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * this.sorted.length);
    return this.sorted[Math.min(this.sorted.length - 1, Math.max(0, rank - 1))];
  }

  summary(): { p50?: number; p90?: number; p99?: number; count: number } {
    return {
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      count: this.count,
    };
  }
}
