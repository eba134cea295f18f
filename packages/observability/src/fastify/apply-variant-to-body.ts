/** Applies an experiment variant to an OpenAI-style request body, before the server routes it. */
import type { ExperimentVariant } from '../experiments/experiment-definition';

interface OpenAIBodyLike {
  model?: unknown;
  temperature?: unknown;
  top_p?: unknown;
  max_tokens?: unknown;
  messages?: unknown;
}

export function applyVariantToBody(body: OpenAIBodyLike, variant: ExperimentVariant): void {
  // A route is addressed like a model in llmr (`model: "<route>"`), so both set `model`.
  if (variant.model) body.model = variant.model;
  else if (variant.route) body.model = variant.route;
  const parameters = variant.parameters;
  if (!parameters) return;
  if (parameters.temperature !== undefined) body.temperature = parameters.temperature;
  if (parameters.topP !== undefined) body.top_p = parameters.topP;
  if (parameters.maxTokens !== undefined) body.max_tokens = parameters.maxTokens;
  if (parameters.systemPrompt !== undefined && Array.isArray(body.messages)) {
    body.messages = [
      { role: 'system', content: parameters.systemPrompt },
      ...body.messages.filter(
        (message) => (message as { role?: unknown } | null)?.role !== 'system',
      ),
    ];
  }
}
