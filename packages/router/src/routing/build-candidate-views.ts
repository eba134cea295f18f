/**
 * The candidates of one decision: each slot filtered by capability, context length,
 * health and circuit, and the survivors' views (what a strategy ranks). The router
 * reuses the result while nothing it reads has changed (see candidate-snapshot.ts).
 */
import type { ModelV1CallOptions, ModelV1Capability } from '@llmr/core';
import { pipelineCapabilities } from '../pipeline/build-pipelines';
import type { ModelSlot, RouterRuntime } from '../router-runtime';
import type { CandidateView, ExcludedCandidate } from '../types';
import { cachedCapabilityMask, missingCapability } from './capability-filter';
import { countPromptTokens } from './estimate-prompt-tokens';

/** What a request contributes to the filters and the views. */
export interface CandidateInputs {
  routeName: string | undefined;
  /** Undefined for embeddings (no prompt to fit, no capabilities but `embeddings`). */
  callOptions: ModelV1CallOptions | undefined;
  required: ModelV1Capability[];
  requiredMask: number;
  /** The estimated prompt tokens. */
  estimate: number;
  /** A bound on the prompt's tokens: below a model's context length, no count is needed. */
  upperBound: number;
  expectedOutputTokens: number;
}

export interface CandidateViews {
  views: CandidateView[];
  excluded: ExcludedCandidate[];
  /** Set when a tokenizer counted the prompt (it might not have fit some model). */
  exactPromptTokens: number | undefined;
  /** The smallest known context length among the slots (Infinity when none is known). */
  minContextLength: number;
}

/** The slot's cached quality prior, refreshed when the priors changed since. */
function qualityPrior(runtime: RouterRuntime, slot: ModelSlot): number {
  if (slot.qualityVersion !== runtime.quality.version || slot.qualityPrior === undefined) {
    slot.qualityPrior = runtime.quality.prior(slot.id);
    slot.qualityVersion = runtime.quality.version;
  }
  return slot.qualityPrior;
}

/**
 * `unchanged(order)`, when given, returns a view built earlier for the same inputs whose
 * slot has not changed since: it passed the same filters then, so it is taken as is.
 */
export function buildCandidateViews(
  runtime: RouterRuntime,
  slots: readonly ModelSlot[],
  inputs: CandidateInputs,
  unchanged?: (order: number) => CandidateView | undefined,
): CandidateViews {
  const { routeName, callOptions, required, requiredMask, estimate, upperBound } = inputs;
  const views: CandidateView[] = [];
  const excluded: ExcludedCandidate[] = [];
  const hasPipelines = runtime.pipelines.routes.size + runtime.pipelines.models.size > 0;
  let counted: { tokenizer: unknown; count: number } | undefined;
  let exactPromptTokens: number | undefined;
  let minContextLength = Number.POSITIVE_INFINITY;
  for (let order = 0; order < slots.length; order++) {
    const slot = slots[order]!;
    const { id, config: modelConfig, entry, breaker } = slot;
    const info = entry?.info;
    const contextLength = modelConfig.contextLength ?? info?.contextLength;
    if (contextLength !== undefined && contextLength < minContextLength)
      minContextLength = contextLength;
    const earlier = unchanged?.(order);
    if (earlier) {
      views.push(earlier);
      continue;
    }
    const declared = modelConfig.capabilities ?? info?.capabilities;
    const added = hasPipelines ? pipelineCapabilities(runtime, routeName, id) : [];
    const capabilities =
      declared && added.length > 0 ? [...new Set([...declared, ...added])] : declared;
    const missing =
      capabilities !== undefined &&
      (cachedCapabilityMask(capabilities) & requiredMask) !== requiredMask
        ? missingCapability(capabilities, required)
        : undefined;
    if (missing) {
      excluded.push({
        modelId: id,
        reason: `capability:${missing}`,
        detail: `declares ${capabilities?.join(', ') || 'nothing'}`,
      });
      continue;
    }
    let promptTokens = estimate;
    // Exact counts cost a tokenizer pass: only worth it when the prompt might not fit.
    if (callOptions && contextLength !== undefined && upperBound >= contextLength) {
      const tokenizer = entry?.model?.tokenizer;
      if (tokenizer) {
        if (counted?.tokenizer !== tokenizer)
          counted = { tokenizer, count: countPromptTokens(callOptions, tokenizer) };
        promptTokens = counted.count;
        exactPromptTokens ??= promptTokens;
      }
      if (promptTokens >= contextLength) {
        excluded.push({
          modelId: id,
          reason: 'context-length',
          detail: `prompt ${tokenizer ? '' : '~'}${promptTokens} tokens, context ${contextLength}`,
        });
        continue;
      }
    }
    if (runtime.healing && !runtime.healing.isRoutable(id)) {
      excluded.push({
        modelId: id,
        reason: 'unhealthy',
        detail: runtime.healing.snapshot(id).state,
      });
      continue;
    }
    if (!breaker.canPass()) {
      const snapshot = breaker.snapshot();
      excluded.push({
        modelId: id,
        reason: 'circuit-open',
        detail: snapshot.retryAt !== undefined ? `retry at ${snapshot.retryAt}` : snapshot.state,
      });
      continue;
    }
    views.push(
      candidateView(runtime, slot, order, capabilities, contextLength, promptTokens, inputs),
    );
  }
  return { views, excluded, exactPromptTokens, minContextLength };
}

/**
 * The view of a slot that passed the filters. A snapshot's in-place update calls it for
 * the one slot whose load or stats moved, so both paths build views the same way.
 */
export function candidateView(
  runtime: RouterRuntime,
  slot: ModelSlot,
  order: number,
  capabilities: readonly ModelV1Capability[] | undefined,
  contextLength: number | undefined,
  promptTokens: number,
  inputs: CandidateInputs,
): CandidateView {
  const { id, config: modelConfig, entry, stats, breaker } = slot;
  const errorRate = stats.errorRate;
  const pricing = modelConfig.pricing;
  return {
    modelId: id,
    order,
    capabilities,
    contextLength,
    pricing,
    quality: runtime.quality.score(id, errorRate, qualityPrior(runtime, slot)),
    // The CostOptimizer's formula, inlined: this runs once per candidate per build.
    estimatedCostUsd: pricing
      ? (promptTokens * pricing.input + inputs.expectedOutputTokens * pricing.output) / 1_000_000
      : 0,
    weight: modelConfig.weight ?? 1,
    inFlight: stats.inFlight,
    loaded: entry?.model !== undefined,
    circuit: breaker.state,
    errorRate,
    ttftMs: stats.ttft.percentile(50) ?? modelConfig.speed?.ttftMs,
    tokensPerSecond: stats.tokensPerSecond.percentile(50) ?? modelConfig.speed?.tokensPerSecond,
    samples: stats.ttft.count,
  };
}
