/** Applies a variant's call parameters (temperature, system prompt, ...) to a model call. */
import type { ModelV1CallOptions, ModelV1Message } from '@llmr/core';
import type { ExperimentVariant } from './experiment-definition';

export function applyVariant(
  options: ModelV1CallOptions,
  variant: ExperimentVariant,
): ModelV1CallOptions {
  const parameters = variant.parameters;
  if (!parameters) return options;
  const next = { ...options } as ModelV1CallOptions;
  if (parameters.temperature !== undefined) next.temperature = parameters.temperature;
  if (parameters.topP !== undefined) next.topP = parameters.topP;
  if (parameters.maxTokens !== undefined) next.maxTokens = parameters.maxTokens;
  if (parameters.systemPrompt !== undefined && next.messages) {
    const system: ModelV1Message = { role: 'system', content: parameters.systemPrompt };
    next.messages = [system, ...next.messages.filter((message) => message.role !== 'system')];
  }
  return next;
}
