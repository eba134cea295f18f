import { createMockModel } from '@llmr/loader-mock';
import { createRouter, type RankedCandidate, type RoutingStrategy } from '@llmr/router';
import { describe, expect, it } from 'vitest';
import { createRouterBackend } from './router-backend';

/** Ranks by id, and counts how often the full ranking was asked for. */
function countingStrategy() {
  const counts = { ranks: 0 };
  const rank = (candidates: readonly { modelId: string }[]): RankedCandidate[] => {
    counts.ranks++;
    return [...candidates]
      .sort((a, b) => a.modelId.localeCompare(b.modelId))
      .map((candidate, index) => ({
        modelId: candidate.modelId,
        score: 10 - index,
        details: {},
      }));
  };
  const strategy: RoutingStrategy = {
    name: 'by-id',
    rank,
    select(candidates) {
      let best = 0;
      for (let index = 1; index < candidates.length; index++)
        if (candidates[index]!.modelId < candidates[best]!.modelId) best = index;
      return { best, rank: () => rank(candidates) };
    },
  };
  return { strategy, counts };
}

describe('createRouterBackend', () => {
  it("reports the served model's score, ranking the other candidates only when it is read", async () => {
    const { strategy, counts } = countingStrategy();
    const router = createRouter({
      models: ['b', 'a', 'c'].map((id) => ({
        id,
        model: createMockModel({ mode: 'script', replies: [`from ${id}`], id }),
      })),
      strategies: [strategy],
      routes: { chat: { strategy: 'by-id' } },
    });
    const backend = createRouterBackend(router);
    const { result, routing } = await backend.generate!(
      'chat',
      { prompt: 'x', maxTokens: 16 },
      { requestId: 'r1' },
    );
    expect(result.text).toBe('from a');
    expect(routing.modelId).toBe('a');
    expect(counts.ranks).toBe(0);
    expect(routing.scores).toEqual({ a: 10 });
    expect(counts.ranks).toBe(1);
    // Serialized like a plain object, scores included.
    expect(JSON.parse(JSON.stringify(routing))).toMatchObject({ modelId: 'a', scores: { a: 10 } });
  });
});
