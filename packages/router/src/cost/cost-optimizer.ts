/** Prices per model (USD per 1M input/output tokens): estimates before a request, live cost after it. */
import type { ModelV1Usage } from '@llmr/core';

export interface ModelPricing {
  /** USD per 1M input tokens. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
}

export class CostOptimizer {
  private prices = new Map<string, ModelPricing>();

  setPricing(prices: Iterable<[string, ModelPricing | undefined]>): void {
    this.prices = new Map(
      [...prices].filter((entry): entry is [string, ModelPricing] => entry[1] !== undefined),
    );
  }

  pricing(modelId: string): ModelPricing | undefined {
    return this.prices.get(modelId);
  }

  /** USD for this many tokens; 0 for a model without a price (local models cost nothing here). */
  estimate(modelId: string, inputTokens: number, outputTokens: number): number {
    const price = this.prices.get(modelId);
    if (!price) return 0;
    return (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
  }

  costOf(modelId: string, usage: ModelV1Usage): number {
    return this.estimate(modelId, usage.inputTokens, usage.outputTokens);
  }
}
