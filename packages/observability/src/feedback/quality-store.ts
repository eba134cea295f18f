/**
 * Where quality ratings are shared between replicas: an append-only log, bounded (the
 * oldest ratings fall off). Each replica appends its own ratings and reads everyone's from
 * where it left off, so every replica's decayed means rest on the same ratings, and each
 * rating reaches every replica's router once. Ratings carry their origin, so a replica
 * skips its own on the way back.
 */

export interface QualityRating {
  model: string;
  /** In [0, 1]. */
  score: number;
  taskTag?: string;
  /** Epoch ms of the rating. */
  at: number;
  /** The replica that took it. */
  origin: string;
}

export interface QualityRatingsPage {
  ratings: QualityRating[];
  /** Pass to the next `readSince`; undefined when the log is empty. */
  cursor: string | undefined;
}

export interface QualityStore {
  append(ratings: readonly QualityRating[]): Promise<void>;
  /** Ratings after `cursor` (from the oldest kept when undefined), at most `limit`. */
  readSince(cursor: string | undefined, limit: number): Promise<QualityRatingsPage>;
  close?(): Promise<void>;
}

export class MemoryQualityStore implements QualityStore {
  private readonly log: { sequence: number; rating: QualityRating }[] = [];
  private nextSequence = 1;

  /** `maxRatings`: ratings kept; default 100,000. */
  constructor(private readonly maxRatings = 100_000) {}

  async append(ratings: readonly QualityRating[]): Promise<void> {
    for (const rating of ratings) this.log.push({ sequence: this.nextSequence++, rating });
    if (this.log.length > this.maxRatings) this.log.splice(0, this.log.length - this.maxRatings);
  }

  async readSince(cursor: string | undefined, limit: number): Promise<QualityRatingsPage> {
    const after = cursor === undefined ? 0 : Number(cursor);
    const page = this.log.filter((entry) => entry.sequence > after).slice(0, limit);
    const last = page.at(-1)?.sequence ?? (after > 0 ? after : undefined);
    return {
      ratings: page.map((entry) => ({ ...entry.rating })),
      cursor: last === undefined ? undefined : String(last),
    };
  }
}
