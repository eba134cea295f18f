/** round-robin: each request starts one further along the route's candidates (per route). */
import type { RoutingStrategy } from '../types';

export const roundRobinStrategy: RoutingStrategy = {
  name: 'round-robin',
  rank(candidates, context) {
    const key = `round-robin:${context.route ?? '*'}`;
    const turn = (context.state.get(key) as number | undefined) ?? 0;
    context.state.set(key, turn + 1);
    const count = candidates.length;
    const sorted = [...candidates].sort((a, b) => a.order - b.order);
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
