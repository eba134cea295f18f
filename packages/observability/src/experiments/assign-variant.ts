/**
 * Sticky, deterministic assignment: the variant follows from a hash of the experiment id
 * and the key (user, session or API key) alone, so every replica assigns the same caller
 * the same variant with no shared state, and a caller keeps it across requests.
 */
import { createSeededRandom, hashString } from '@llmr/core';
import type { ExperimentDefinition, ExperimentVariant } from './experiment-definition';

/** A uniform number in [0, 1) for this experiment and key. */
export function assignmentPoint(experimentId: string, key: string): number {
  // FNV-1a alone leaves similar keys (user-1, user-2) close; one splitmix round spreads them.
  return createSeededRandom(hashString(`${experimentId}\u0000${key}`))();
}

export function assignVariant(definition: ExperimentDefinition, key: string): ExperimentVariant {
  const weights = definition.variants.map((variant) => variant.weight ?? 1);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let threshold = assignmentPoint(definition.id, key) * total;
  for (const [index, variant] of definition.variants.entries()) {
    threshold -= weights[index] ?? 0;
    if (threshold < 0) return variant;
  }
  // Rounding can leave the point a hair past the last edge: it belongs to the last weighted variant.
  return (
    definition.variants.findLast((_, index) => (weights[index] ?? 0) > 0) ?? definition.variants[0]!
  );
}
