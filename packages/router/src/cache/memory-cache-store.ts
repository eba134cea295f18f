/** An in-process LRU with a TTL per entry and bounds on entries and bytes. */
import { type Clock, systemClock } from '../clock';
import type { CacheStore } from './cache-store';

export interface MemoryCacheStoreOptions {
  /** Default 1,000. */
  maxEntries?: number;
  /** Bounds the stored strings' size (UTF-16, 2 bytes a character). Default 64 MiB. */
  maxBytes?: number;
  clock?: Clock;
}

export function createMemoryCacheStore(options: MemoryCacheStoreOptions = {}): CacheStore {
  const maxEntries = options.maxEntries ?? 1_000;
  const maxBytes = options.maxBytes ?? 64 * 2 ** 20;
  const clock = options.clock ?? systemClock;
  // A Map iterates in insertion order: re-inserting on read makes the first key the LRU.
  const entries = new Map<string, { value: string; expiresAt: number; bytes: number }>();
  let bytes = 0;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    bytes -= entry.bytes;
    entries.delete(key);
  };

  return {
    name: 'memory',
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= clock.now()) {
        remove(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    async set(key, value, ttlMs) {
      remove(key);
      const size = (key.length + value.length) * 2;
      if (size > maxBytes) return; // Larger than the whole cache: not worth evicting everything.
      entries.set(key, { value, expiresAt: clock.now() + ttlMs, bytes: size });
      bytes += size;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        remove(oldest);
      }
    },
    async delete(key) {
      remove(key);
    },
    async clear() {
      entries.clear();
      bytes = 0;
    },
    size: () => ({ entries: entries.size, bytes }),
  };
}
