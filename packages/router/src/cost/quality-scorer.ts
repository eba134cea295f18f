/**
 * Quality per model in [0, 1]: the config's prior, moved by feedback (`record`, an
 * exponential moving average) and lowered by the live error rate, since an answer that
 * fails is worth nothing.
 */
export class QualityScorer {
  private priors = new Map<string, number>();
  /** Bumped whenever priors or feedback change, so callers may cache `prior()` and scores per model. */
  version = 0;
  private readonly feedback = new Map<string, { value: number; count: number }>();

  constructor(
    private readonly options: {
      defaultQuality?: number;
      feedbackWeight?: number;
      errorPenalty?: number;
    } = {},
  ) {}

  setPriors(priors: Iterable<[string, number | undefined]>): void {
    this.priors = new Map(
      [...priors].filter((entry): entry is [string, number] => entry[1] !== undefined),
    );
    this.version++;
  }

  prior(modelId: string): number {
    return this.priors.get(modelId) ?? this.options.defaultQuality ?? 0.5;
  }

  /** Feedback on one answer, in [0, 1] (a grader, a thumbs-up, an ensemble scorer). */
  record(modelId: string, score: number): void {
    const clamped = Math.min(1, Math.max(0, score));
    const current = this.feedback.get(modelId);
    const alpha = this.options.feedbackWeight ?? 0.2;
    this.feedback.set(
      modelId,
      current
        ? { value: current.value + alpha * (clamped - current.value), count: current.count + 1 }
        : { value: clamped, count: 1 },
    );
    this.version++;
  }

  score(modelId: string, errorRate = 0, prior = this.prior(modelId)): number {
    // The common case, on every candidate of every decision: no feedback, no errors.
    if (errorRate === 0 && this.feedback.size === 0) return prior;
    const observed = this.feedback.get(modelId);
    // Feedback earns trust with volume: after ~10 ratings it counts as much as the prior.
    const trust = observed ? Math.min(0.5, observed.count / 20) : 0;
    const blended = observed ? prior * (1 - trust) + observed.value * trust : prior;
    return blended * (1 - (this.options.errorPenalty ?? 0.5) * errorRate);
  }
}
