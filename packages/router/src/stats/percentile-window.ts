/**
 * A fixed-size window of recent samples, kept sorted as it changes: recording is a binary
 * search and a short move (O(capacity) at worst, a memmove of at most 100 numbers), and a
 * percentile is one index. Routing reads two percentiles per candidate per decision and
 * every finished request records one sample, so re-sorting on read after each record
 * (what a lazily sorted copy does) was a sort per request.
 */
export class PercentileWindow {
  /** Samples in arrival order (a ring once full). */
  private readonly samples: number[] = [];
  /** The same samples, ascending. */
  private readonly sorted: number[] = [];
  private next = 0;
  /** Bumped on every recorded sample: routing snapshots compare it instead of the percentiles. */
  version = 0;

  constructor(private readonly capacity = 100) {}

  get count(): number {
    return this.samples.length;
  }

  record(value: number): void {
    if (!Number.isFinite(value)) return;
    this.version++;
    if (this.samples.length < this.capacity) {
      this.samples.push(value);
    } else {
      const evicted = this.samples[this.next]!;
      this.samples[this.next] = value;
      this.sorted.splice(lowerBound(this.sorted, evicted), 1);
    }
    this.next = (this.next + 1) % this.capacity;
    this.sorted.splice(lowerBound(this.sorted, value), 0, value);
  }

  /** Nearest-rank percentile, p in [0, 100]; undefined with no samples. */
  percentile(p: number): number | undefined {
    const length = this.sorted.length;
    if (length === 0) return undefined;
    const rank = Math.ceil((p / 100) * length);
    return this.sorted[Math.min(length - 1, Math.max(0, rank - 1))];
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

/** The first index whose value is >= `value` in an ascending array. */
function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
