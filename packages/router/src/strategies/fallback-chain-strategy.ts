/** fallback: an explicit chain. The route's `fallback` order first, any other candidates after it in route order. */
import type { RoutingStrategy } from '../types';

export const fallbackChainStrategy: RoutingStrategy = {
  name: 'fallback',
  pure: true,
  reads: ['modelId', 'order'],
  rank(candidates, context) {
    const chain = context.routeSettings.fallback ?? [];
    const position = (id: string, order: number) => {
      const index = chain.indexOf(id);
      return index >= 0 ? index : chain.length + order;
    };
    const sorted = [...candidates].sort(
      (a, b) => position(a.modelId, a.order) - position(b.modelId, b.order),
    );
    return sorted.map((candidate, index) => ({
      modelId: candidate.modelId,
      score: (sorted.length - index) / sorted.length,
      details: { position: index, inChain: chain.includes(candidate.modelId) },
    }));
  },
};
