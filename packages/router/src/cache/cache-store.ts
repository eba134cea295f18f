import type { CacheTierStats } from './tiered-cache-store';

/**
 * Where cached responses live. Values are strings (JSON), so any key-value store can
 * hold them: memory (the default) and Redis ship here; implement this for others.
 */
export interface CacheStore {
  readonly name: string;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Removes every entry this store wrote (its key prefix), nothing else. */
  clear(): Promise<void>;
  /** Closes connections the store opened itself. */
  close?(): Promise<void>;
  /** Size, when cheap to know. */
  size?(): { entries: number; bytes: number };
  /** Per-tier hits, misses and read latency, for stores made of tiers. */
  tierStats?(): CacheTierStats[];
}
