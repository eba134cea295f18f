/** round-robin: each request starts one further along the route's candidates (per route). */
import type { CandidateView, RankedCandidate, RoutingStrategy, StrategyContext } from '../types';

/** This request's turn (advancing the route's counter) and the candidates in route order. */
function take(candidates: readonly CandidateView[], context: StrategyContext) {
  const key = `round-robin:${context.route ?? '*'}`;
  const turn = (context.state.get(key) as number | undefined) ?? 0;
  context.state.set(key, turn + 1);
  // Candidates come in route order already (sorting a copy cost as much as the rest).
  let inOrder = true;
  for (let index = 1; index < candidates.length && inOrder; index++)
    inOrder = candidates[index - 1]!.order <= candidates[index]!.order;
  const sorted = inOrder ? candidates : [...candidates].sort((a, b) => a.order - b.order);
  return { turn, sorted };
}

function rotation(sorted: readonly CandidateView[], turn: number): RankedCandidate[] {
  const count = sorted.length;
  return sorted.map((_, index) => {
    const candidate = sorted[(turn + index) % count]!;
    return {
      modelId: candidate.modelId,
      score: count ? (count - index) / count : 0,
      details: { turn, position: index },
    };
  });
}

export const roundRobinStrategy: RoutingStrategy = {
  name: 'round-robin',
  rank(candidates, context) {
    const { turn, sorted } = take(candidates, context);
    return rotation(sorted, turn);
  },
  // The turn is taken now; the rotation (an object per candidate) only when asked for.
  select(candidates, context) {
    const { turn, sorted } = take(candidates, context);
    const first = sorted[turn % sorted.length]!;
    return {
      best: sorted === candidates ? turn % sorted.length : candidates.indexOf(first),
      rank: () => rotation(sorted, turn),
    };
  },
};
