/**
 * Cache tiers as one CacheStore: typically L1 memory, L2 Redis, L3 disk. A read tries
 * each tier in order and copies a hit into the faster tiers above it (read-through); a
 * write lands in the first tier at once and in the slower ones in the background
 * (write-back), so a request never waits on Redis or the disk to store its answer. Each
 * tier has its own TTL, and a copied entry never outlives the original write: values are
 * stored with their expiry. A failing tier counts as a miss and an error in its stats;
 * it never fails the read or the write.
 */
import { InvalidArgumentError } from '@llmr/core';
import { type Clock, systemClock } from '../clock';
import type { CacheStore } from './cache-store';

export interface CacheTier {
  store: CacheStore;
  /** The longest an entry lives in this tier (default: the TTL of the write). */
  ttlMs?: number;
  /** Shown in stats (default: the store's name). */
  name?: string;
}

export interface CacheTierStats {
  name: string;
  hits: number;
  misses: number;
  writes: number;
  errors: number;
  /** Mean and worst time of this tier's reads, in milliseconds. */
  meanReadMs: number;
  maxReadMs: number;
  entries?: number;
  bytes?: number;
}

export interface TieredCacheStore extends CacheStore {
  tierStats(): CacheTierStats[];
  /** Waits for background writes to the slower tiers. */
  flush(): Promise<void>;
}

/** What the tiers hold: the value and when the original write expires. */
interface Envelope {
  expiresAt: number;
  value: string;
}

export function createTieredCacheStore(options: {
  tiers: CacheTier[];
  clock?: Clock;
}): TieredCacheStore {
  const { tiers } = options;
  if (!Array.isArray(tiers) || tiers.length === 0)
    throw new InvalidArgumentError({
      argument: 'tiers',
      value: tiers,
      message: 'A tiered cache needs at least one tier: `tiers: [{ store }]`.',
    });
  const clock = options.clock ?? systemClock;
  const counters = tiers.map((tier) => ({
    name: tier.name ?? tier.store.name,
    hits: 0,
    misses: 0,
    writes: 0,
    errors: 0,
    reads: 0,
    readMs: 0,
    maxReadMs: 0,
  }));
  const pending = new Set<Promise<void>>();

  const writeTier = async (index: number, key: string, envelope: Envelope) => {
    const tier = tiers[index]!;
    const remaining = envelope.expiresAt - clock.now();
    const ttlMs = Math.min(remaining, tier.ttlMs ?? Number.POSITIVE_INFINITY);
    if (ttlMs <= 0) return;
    try {
      await tier.store.set(key, JSON.stringify(envelope), ttlMs);
      counters[index]!.writes++;
    } catch {
      counters[index]!.errors++;
    }
  };
  const inBackground = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  return {
    name: `tiered(${counters.map((counter) => counter.name).join('>')})`,
    async get(key) {
      for (const [index, tier] of tiers.entries()) {
        const counter = counters[index]!;
        const started = performance.now();
        let raw: string | undefined;
        try {
          raw = await tier.store.get(key);
        } catch {
          counter.errors++;
        }
        const elapsed = performance.now() - started;
        counter.reads++;
        counter.readMs += elapsed;
        counter.maxReadMs = Math.max(counter.maxReadMs, elapsed);
        let envelope: Envelope | undefined;
        try {
          envelope = raw === undefined ? undefined : (JSON.parse(raw) as Envelope);
        } catch {
          counter.errors++; // Not written by a tiered store: ignore it.
        }
        if (!envelope || envelope.expiresAt <= clock.now()) {
          counter.misses++;
          continue;
        }
        counter.hits++;
        // Read-through: the faster tiers get a copy for next time.
        for (let upper = 0; upper < index; upper++) inBackground(writeTier(upper, key, envelope));
        return envelope.value;
      }
      return undefined;
    },
    async set(key, value, ttlMs) {
      const envelope: Envelope = { expiresAt: clock.now() + ttlMs, value };
      await writeTier(0, key, envelope);
      for (let index = 1; index < tiers.length; index++)
        inBackground(writeTier(index, key, envelope));
    },
    async delete(key) {
      await Promise.all(tiers.map((tier) => tier.store.delete(key).catch(() => {})));
    },
    async clear() {
      await this.flush();
      await Promise.all(tiers.map((tier) => tier.store.clear()));
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      await this.flush();
      await Promise.all(tiers.map((tier) => tier.store.close?.()));
    },
    size: () => tiers[0]!.store.size?.() ?? { entries: 0, bytes: 0 },
    tierStats: () =>
      counters.map(({ reads, readMs, maxReadMs, ...counter }, index) => ({
        ...counter,
        meanReadMs: reads === 0 ? 0 : readMs / reads,
        maxReadMs,
        ...(tiers[index]!.store.size?.() ?? {}),
      })),
  };
}
