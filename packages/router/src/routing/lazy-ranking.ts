/**
 * A strategy's ranking computed head first. Most requests only ever run the best
 * candidate, so a decision selects it (one pass over the candidates) and leaves sorting
 * and explaining the rest until something asks: a fallback that needs the next
 * candidate, `RoutingInfo.candidates`, or a `route` event listener that reads them.
 * Ranking every candidate was most of a decision's cost whenever load changed between
 * decisions (every lease), at 100 models and more.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { CandidateView, RankedCandidate, RoutingStrategy, StrategyContext } from '../types';

export class LazyRanking {
  private full: readonly RankedCandidate[] | undefined;
  private compute: (() => RankedCandidate[]) | undefined;

  /** `first`: the best candidate's model id (undefined when the ranking is empty). */
  private constructor(
    readonly first: string | undefined,
    compute: (() => RankedCandidate[]) | undefined,
    full: readonly RankedCandidate[] | undefined,
  ) {
    this.compute = compute;
    this.full = full;
  }

  /** A ranking already complete (a strategy without `select`). */
  static of(ranked: readonly RankedCandidate[]): LazyRanking {
    return new LazyRanking(ranked[0]?.modelId, undefined, ranked);
  }

  /** The winner now, the rest from `compute` on first need. */
  static deferred(first: string, compute: () => RankedCandidate[]): LazyRanking {
    return new LazyRanking(first, compute, undefined);
  }

  /** Whether the full ranking exists yet (tests: a decision that needs only the head leaves it). */
  get materialized(): boolean {
    return this.full !== undefined;
  }

  /** Every candidate, best first, computed once and shared by whoever holds this ranking. */
  ranked(): readonly RankedCandidate[] {
    if (this.full) return this.full;
    let ranked = this.compute!();
    this.compute = undefined;
    // The selected winner may already have run: it stays first even if a custom strategy's
    // `rank` disagrees with its own `select` (that is the strategy's bug, not a reason to
    // try one model twice or skip another).
    const first = this.first;
    if (first !== undefined && ranked[0]?.modelId !== first) {
      const index = ranked.findIndex((candidate) => candidate.modelId === first);
      const head = index >= 0 ? ranked[index]! : { modelId: first, score: 1, details: {} };
      ranked = [head, ...ranked.filter((_, position) => position !== index)];
    }
    this.full = ranked;
    return ranked;
  }

  /** The model id at `position` of the order; only position 0 is free. */
  at(position: number): string | undefined {
    return position === 0 ? this.first : this.ranked()[position]?.modelId;
  }
}

/** A plan's view of a ranking: the order it tries, cut at the route's `maxCandidates`. */
export class CandidateOrder {
  constructor(
    private readonly ranking: LazyRanking,
    private readonly limit: number = Number.POSITIVE_INFINITY,
  ) {}

  /** The model id to try at `position` (0: the strategy's choice), undefined past the end. */
  at(position: number): string | undefined {
    return position < this.limit ? this.ranking.at(position) : undefined;
  }

  /** The candidates with their scores and explanations: a new array per call. */
  candidates(): RankedCandidate[] {
    const ranked = this.ranking.ranked();
    return ranked.slice(0, Math.min(ranked.length, this.limit));
  }
}

/**
 * Ranks with the strategy's `select` fast path when it has one (validated: a custom
 * strategy's bug must be a clear error, not a wrong model), else with `rank` at once.
 * A pure strategy's full ranking, when deferred, ranks `later()`: the candidates as they
 * were now (the caller's list may change meanwhile); without it, `candidates` themselves.
 */
export function rankLazily(
  strategy: RoutingStrategy,
  candidates: readonly CandidateView[],
  context: StrategyContext,
  later?: () => readonly CandidateView[],
): LazyRanking {
  if (!strategy.select) return LazyRanking.of(strategy.rank(candidates, context));
  const selection = strategy.select(candidates, context);
  const best = selection?.best;
  const chosen = typeof best === 'number' ? candidates[best] : undefined;
  if (!chosen || !Number.isInteger(best)) {
    throw new InvalidArgumentError({
      argument: 'strategy',
      value: strategy.name,
      message: `Strategy "${strategy.name}" returned ${JSON.stringify(best)} from select(); it must return { best } with the index (0 to ${candidates.length - 1}) of the best of the candidates it was given.`,
    });
  }
  let rank = selection.rank;
  if (typeof rank !== 'function') {
    if (!strategy.pure || rank !== undefined) {
      throw new InvalidArgumentError({
        argument: 'strategy',
        value: strategy.name,
        message: `Strategy "${strategy.name}" is not pure, so its select() must also return rank: a function giving the full ranking from the same draws (calling rank() again would draw again).`,
      });
    }
    rank = () => strategy.rank(later ? later() : candidates, context);
  }
  return LazyRanking.deferred(chosen.modelId, rank);
}
