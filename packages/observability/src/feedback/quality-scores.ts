/**
 * Quality per model (and per task tag) from feedback: an exponentially decayed mean (a
 * rating loses half its weight every `halfLifeMs`, so a model that got better or worse is
 * seen as it is now), reported only once a model has `minSamples` ratings. Its output is
 * the router's shape: `priors()` for `QualityScorer.setPriors`, and `subscribe` for
 * `QualityScorer.record`, which the quality-first and balanced strategies read.
 *
 * With a `store`, replicas share their ratings: `sync` (on a timer, `startSyncing`) sends
 * this replica's ratings and takes everyone else's, which update the means and reach the
 * subscribers (the router) like local ones. Ratings are applied at the time they were
 * taken, so every replica arrives at the same means whatever order they come in.
 */

import { randomUUID } from 'node:crypto';
import { repeatEvery } from '../repeat-every';
import type { QualityRating, QualityStore } from './quality-store';

interface DecayedMean {
  weightedSum: number;
  weight: number;
  samples: number;
  updatedAt: number;
}

export interface QualityScoresOptions {
  /** Default 7 days. */
  halfLifeMs?: number;
  /** Ratings before a score is reported; default 10. */
  minSamples?: number;
  now?: () => number;
  /** Shares ratings between replicas (`RedisQualityStore`); default none. */
  store?: QualityStore;
}

export interface QualitySnapshot {
  model: string;
  taskTag: string | undefined;
  score: number | undefined;
  samples: number;
  /** The decayed weight behind the score (how much recent evidence it rests on). */
  weight: number;
}

const ANY_TASK = '';

export class QualityScores {
  private readonly means = new Map<string, DecayedMean>();
  private readonly listeners = new Set<(model: string, score: number) => void>();
  private readonly halfLifeMs: number;
  private readonly minSamples: number;
  private readonly now: () => number;
  private readonly store: QualityStore | undefined;
  private readonly origin = randomUUID();
  private pending: QualityRating[] = [];
  private cursor: string | undefined;
  private syncing: Promise<void> | undefined;

  constructor(options: QualityScoresOptions = {}) {
    this.store = options.store;
    this.halfLifeMs = options.halfLifeMs ?? 7 * 24 * 3_600_000;
    this.minSamples = options.minSamples ?? 10;
    this.now = options.now ?? Date.now;
  }

  private decayed(mean: DecayedMean, now: number): DecayedMean {
    const factor = 2 ** (-Math.max(0, now - mean.updatedAt) / this.halfLifeMs);
    return {
      weightedSum: mean.weightedSum * factor,
      weight: mean.weight * factor,
      samples: mean.samples,
      updatedAt: now,
    };
  }

  /** One rating in [0, 1]; counted for the model overall and for its task tag. */
  add(model: string, score: number, taskTag?: string): void {
    const clamped = Math.min(1, Math.max(0, score));
    const at = this.now();
    this.apply(model, clamped, taskTag, at);
    if (this.store) {
      this.pending.push({
        model,
        score: clamped,
        at,
        origin: this.origin,
        ...(taskTag ? { taskTag } : {}),
      });
    }
    for (const listener of this.listeners) listener(model, clamped);
  }

  /** Adds a rating taken at `at`: one that is older than the mean counts decayed already. */
  private apply(model: string, score: number, taskTag: string | undefined, at: number): void {
    for (const tag of taskTag ? [ANY_TASK, taskTag] : [ANY_TASK]) {
      const key = `${model}\u0000${tag}`;
      const current = this.means.get(key);
      const next = current
        ? this.decayed(current, Math.max(at, current.updatedAt))
        : { weightedSum: 0, weight: 0, samples: 0, updatedAt: at };
      const weight = 2 ** (-Math.max(0, next.updatedAt - at) / this.halfLifeMs);
      next.weightedSum += score * weight;
      next.weight += weight;
      next.samples += 1;
      this.means.set(key, next);
    }
  }

  /**
   * Sends this replica's ratings to the store and applies the other replicas' (each also
   * reaching the subscribers). Without a store there is nothing to do.
   */
  sync(): Promise<void> {
    if (!this.store) return Promise.resolve();
    this.syncing ??= this.exchange(this.store).finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async exchange(store: QualityStore): Promise<void> {
    const outgoing = this.pending;
    this.pending = [];
    try {
      await store.append(outgoing);
    } catch (error) {
      this.pending = [...outgoing, ...this.pending];
      throw error;
    }
    const PAGE = 1_000;
    for (;;) {
      const page = await store.readSince(this.cursor, PAGE);
      this.cursor = page.cursor;
      for (const rating of page.ratings) {
        if (rating.origin === this.origin) continue;
        this.apply(rating.model, rating.score, rating.taskTag, rating.at);
        for (const listener of this.listeners) listener(rating.model, rating.score);
      }
      if (page.ratings.length < PAGE) return;
    }
  }

  /** Runs `sync` every `everyMs` until the returned function is called. */
  startSyncing(everyMs: number, onError: (error: unknown) => void): () => void {
    return repeatEvery(everyMs, () => this.sync(), onError);
  }

  /** A last sync, then the store's connection closes. */
  async close(): Promise<void> {
    await this.sync();
    await this.store?.close?.();
  }

  /** The decayed mean, or undefined below `minSamples`. */
  score(model: string, taskTag?: string): number | undefined {
    const mean = this.means.get(`${model}\u0000${taskTag ?? ANY_TASK}`);
    if (!mean || mean.samples < this.minSamples || mean.weight === 0) return undefined;
    return mean.weightedSum / mean.weight;
  }

  /** `[model, score]` pairs for the router's `QualityScorer.setPriors`. */
  priors(taskTag?: string): [string, number | undefined][] {
    const models = new Set([...this.means.keys()].map((key) => key.split('\u0000')[0] ?? ''));
    return [...models].map((model) => [model, this.score(model, taskTag)]);
  }

  /** Forwards each rating as it arrives (the router's `QualityScorer.record` fits). */
  subscribe(listener: (model: string, score: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): QualitySnapshot[] {
    const now = this.now();
    return [...this.means.entries()].map(([key, mean]) => {
      const [model = '', tag = ''] = key.split('\u0000');
      return {
        model,
        taskTag: tag === ANY_TASK ? undefined : tag,
        score: this.score(model, tag === ANY_TASK ? undefined : tag),
        samples: mean.samples,
        weight: this.decayed(mean, now).weight,
      };
    });
  }
}
