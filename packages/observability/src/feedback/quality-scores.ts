/**
 * Quality per model (and per task tag) from feedback: an exponentially decayed mean (a
 * rating loses half its weight every `halfLifeMs`, so a model that got better or worse is
 * seen as it is now), reported only once a model has `minSamples` ratings. Its output is
 * the router's shape: `priors()` for `QualityScorer.setPriors`, and `subscribe` for
 * `QualityScorer.record`, which the quality-first and balanced strategies read.
 */

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

  constructor(options: QualityScoresOptions = {}) {
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
    const now = this.now();
    for (const tag of taskTag ? [ANY_TASK, taskTag] : [ANY_TASK]) {
      const key = `${model}\u0000${tag}`;
      const current = this.means.get(key);
      const next = current
        ? this.decayed(current, now)
        : { weightedSum: 0, weight: 0, samples: 0, updatedAt: now };
      next.weightedSum += clamped;
      next.weight += 1;
      next.samples += 1;
      this.means.set(key, next);
    }
    for (const listener of this.listeners) listener(model, clamped);
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
