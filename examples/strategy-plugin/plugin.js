// @ts-check
/**
 * A routing strategy plugin: short prompts go to the route's first model (small and
 * fast), long ones to its last (the one with room to think). `llmr serve` loads it from
 * `plugins:` in llmr.yaml; a plugin module exports `strategies` (and/or `loaders`,
 * `engines`). Plain JavaScript so Node loads it as is; the JSDoc types are checked.
 */

/** Prompts of more tokens than this count as long. */
const LONG_PROMPT_TOKENS = 24;

/** @type {import('@llmr/router').RoutingStrategy} */
export const byPromptLength = {
  name: 'by-prompt-length',
  rank(candidates, context) {
    const long = context.promptTokens > LONG_PROMPT_TOKENS;
    const ordered = [...candidates].sort((a, b) => (long ? b.order - a.order : a.order - b.order));
    // Every candidate comes back, best first: the router falls back down this list.
    return ordered.map((candidate, index) => ({
      modelId: candidate.modelId,
      score: 1 - index / ordered.length,
      details: { promptTokens: context.promptTokens, long },
    }));
  },
};

export const strategies = [byPromptLength];
