/**
 * What a request needs from a model: chat or completion, tools, JSON schema, grammar,
 * logprobs, embeddings, and room in the context for the prompt. Models whose
 * capabilities are not known yet (never loaded, nothing in config) pass: the first
 * load tells, and a model that then fails falls back like any other failure.
 */
import type { ModelV1CallOptions, ModelV1Capability } from '@llmr/core';

export function requiredCapabilities(options: ModelV1CallOptions): ModelV1Capability[] {
  const required: ModelV1Capability[] = [options.messages !== undefined ? 'chat' : 'completion'];
  if (options.tools?.length && options.toolChoice?.type !== 'none') required.push('tools');
  if (options.responseFormat?.type === 'json' && options.responseFormat.schema)
    required.push('json-schema');
  if (options.responseFormat?.type === 'grammar') required.push('grammar');
  if (options.logprobs) required.push('logprobs');
  return required;
}

export function missingCapability(
  declared: readonly ModelV1Capability[] | undefined,
  required: readonly ModelV1Capability[],
): ModelV1Capability | undefined {
  if (!declared) return undefined;
  return required.find((capability) => !declared.includes(capability));
}
