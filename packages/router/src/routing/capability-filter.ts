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

const bits: Record<ModelV1Capability, number> = {
  chat: 1,
  completion: 2,
  embeddings: 4,
  tools: 8,
  'json-schema': 16,
  grammar: 32,
  logprobs: 64,
};

/** Capabilities as a bit mask, for a check per candidate that allocates nothing. */
export function capabilityMask(capabilities: readonly ModelV1Capability[]): number {
  let mask = 0;
  for (const capability of capabilities) mask |= bits[capability] ?? 0;
  return mask;
}

/** Caches the mask of each capabilities array (they change only on load or reload). */
const masks = new WeakMap<readonly ModelV1Capability[], number>();
export function cachedCapabilityMask(capabilities: readonly ModelV1Capability[]): number {
  let mask = masks.get(capabilities);
  if (mask === undefined) {
    mask = capabilityMask(capabilities);
    masks.set(capabilities, mask);
  }
  return mask;
}
