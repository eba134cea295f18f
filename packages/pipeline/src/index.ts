/**
 * @llmr/pipeline — middleware stages for llmr models and routers. Each stage is a
 * ModelMiddlewareV1 factory from @llmr/core: apply them with `wrapModel`, or register
 * them with a router (`createRouter({ stages: pipelineStages })`) and name them in config.
 */
import type { ModelMiddlewareFactoryV1 } from '@llmr/core';
import { createGuardrails } from './guardrails/guardrails';
import { createPromptShaping } from './prompt/prompt-shaping';
import { createStructuredOutput } from './structured-output/structured-output';

export { canonicalJson, canonicalRequest } from './cache/canonical-request';
export {
  createResponseCache,
  type ResponseCacheOptions,
  type ResponseCacheStats,
  type ResponseCacheStore,
} from './cache/response-cache-stage';
export { createGuardrails, type GuardrailsOptions } from './guardrails/guardrails';
export {
  findPii,
  PII_KINDS,
  type PiiKind,
  type PiiMatch,
  passesIbanChecksum,
  passesLuhn,
  redactPii,
} from './guardrails/pii-detectors';
export { createPromptShaping, type PromptShapingOptions } from './prompt/prompt-shaping';
export {
  createRedisSemanticShare,
  type RedisSemanticShareOptions,
} from './semantic-cache/redis-semantic-share';
export {
  createSemanticCache,
  type SemanticCacheOptions,
  type SemanticCacheShare,
  type SemanticCacheStats,
} from './semantic-cache/semantic-cache-stage';
export { OutputValidationError } from './structured-output/output-validation-error';
export {
  createStructuredOutput,
  type StructuredOutputOptions,
} from './structured-output/structured-output';

/**
 * The built-in stages whose options are plain JSON, by the names config uses. The
 * response cache needs a store object, so register it yourself:
 * `{ ...pipelineStages, cache: () => createResponseCache({ store }) }`.
 */
export const pipelineStages: Record<string, ModelMiddlewareFactoryV1> = {
  guardrails: createGuardrails,
  'prompt-shaping': createPromptShaping,
  'structured-output': createStructuredOutput,
};
