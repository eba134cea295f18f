/**
 * @llmr/sampling — what every llmr runtime that produces logits shares: the sampler
 * (penalties, temperature, top-k, top-p, min-p on core's seeded PRNG) and JSON-schema
 * constrained decoding (a byte automaton and per-step token masks).
 */
export {
  createLogprobFormatter,
  decoderPrompt,
  promptTokens,
  samplerOptionsFor,
} from './call-options';
export {
  compileJsonSchema,
  createJsonConstraint,
  createJsonSchemaAutomaton,
  type JsonConstraint,
  type JsonSchemaAutomaton,
  type JsonStack,
  type JsonState,
  MAX_LIVE_STATES,
  MAX_SCHEMA_NODES,
  type NamedTokenizer,
  stateKey,
  type TokenVocabulary,
  tokenVocabulary,
} from './json-schema/index';
export {
  createSampler,
  logSoftmax,
  type SampleOptions,
  type SampleResult,
  type Sampler,
  type SamplerOptions,
  type TokenLogprob,
  topEntries,
} from './sampler';
