/** Small pieces the strategies share: normalisation and a stable best-first sort. */
import type { CandidateView, RankedCandidate } from '../types';

/** Maps values to [0, 1] where the lowest is 1 and the highest 0; all equal (or unknown) -> 1. */
export function lowerIsBetter(values: readonly (number | undefined)[]): number[] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value === undefined) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const span = max - min;
  return values.map((value) =>
    value === undefined ? 0.5 : span > 0 ? 1 - (value - min) / span : 1,
  );
}

/** Sorts by score (desc), then by the candidate's order in its route: deterministic. */
export function sortRanked(
  ranked: RankedCandidate[],
  candidates: readonly CandidateView[],
): RankedCandidate[] {
  const order = new Map<string, number>();
  for (const candidate of candidates) order.set(candidate.modelId, candidate.order);
  return ranked.sort(
    (a, b) => b.score - a.score || (order.get(a.modelId) ?? 0) - (order.get(b.modelId) ?? 0),
  );
}

/** Estimated milliseconds to produce the request's output, or undefined when unknown. */
export function estimatedLatencyMs(
  candidate: CandidateView,
  outputTokens: number,
): number | undefined {
  if (candidate.ttftMs === undefined && candidate.tokensPerSecond === undefined) return undefined;
  const ttft = candidate.ttftMs ?? 0;
  const generation = candidate.tokensPerSecond
    ? (outputTokens / candidate.tokensPerSecond) * 1000
    : 0;
  return ttft + generation;
}

export function round(value: number, digits = 6): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
