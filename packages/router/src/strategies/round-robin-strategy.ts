/** round-robin: each request starts one further along the route's candidates (per route). */
import type { RoutingStrategy } from '../types';

export const roundRobinStrategy: RoutingStrategy = {
  name: 'round-robin',
  rank(candidates, context) {
    const key = `round-robin:${context.route ?? '*'}`;
    const turn = (context.state.get(key) as number | undefined) ?? 0;
    context.state.set(key, turn + 1);
    const count = candidates.length;
    // Candidates come in route order already (sorting a copy cost as much as the rest).
    let inOrder = true;
    for (let index = 1; index < count && inOrder; index++)
      inOrder = candidates[index - 1]!.order <= candidates[index]!.order;
    const sorted = inOrder ? candidates : [...candidates].sort((a, b) => a.order - b.order);
    return sorted.map((_, index) => {
      const candidate = sorted[(turn + index) % count]!;
      return {
        modelId: candidate.modelId,
        score: count ? (count - index) / count : 0,
        details: { turn, position: index },
      };
    });
  },
};
