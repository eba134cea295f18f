/**
 * Where SLO buckets live. Counters only (add, read), so a shared store (Redis) lets every
 * replica count into the same buckets and see the same budget. The in-memory store drops
 * buckets past their expiry, so memory stays bounded by windows / bucket size.
 */

export interface SloBucketUpdate {
  key: string;
  fields: Record<string, number>;
  /** Epoch ms after which the bucket may be dropped. */
  expiresAt: number;
}

export interface SloStore {
  add(updates: readonly SloBucketUpdate[], now: number): Promise<void>;
  /** The buckets' fields, in the order asked; an absent bucket is `undefined`. */
  read(keys: readonly string[]): Promise<(Record<string, number> | undefined)[]>;
  addSeries(series: string): Promise<void>;
  listSeries(): Promise<string[]>;
  close?(): Promise<void>;
}

export class MemorySloStore implements SloStore {
  private readonly buckets = new Map<
    string,
    { fields: Record<string, number>; expiresAt: number }
  >();
  private readonly series = new Set<string>();
  private nextPruneAt = 0;

  async add(updates: readonly SloBucketUpdate[], now: number): Promise<void> {
    for (const update of updates) {
      let bucket = this.buckets.get(update.key);
      if (!bucket) {
        bucket = { fields: {}, expiresAt: update.expiresAt };
        this.buckets.set(update.key, bucket);
      }
      bucket.expiresAt = Math.max(bucket.expiresAt, update.expiresAt);
      for (const [field, by] of Object.entries(update.fields)) {
        bucket.fields[field] = (bucket.fields[field] ?? 0) + by;
      }
    }
    // Pruning walks every bucket, so it runs at most once a minute of event time.
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + 60_000;
      for (const [key, bucket] of this.buckets)
        if (bucket.expiresAt <= now) this.buckets.delete(key);
    }
  }

  async read(keys: readonly string[]) {
    return keys.map((key) => this.buckets.get(key)?.fields);
  }

  async addSeries(series: string): Promise<void> {
    this.series.add(series);
  }

  async listSeries(): Promise<string[]> {
    return [...this.series];
  }

  /** How many buckets are held (what bounds memory). */
  get size(): number {
    return this.buckets.size;
  }
}
