/** `@llmr/loader-onnx/sampling`: the sampler, usable by any runtime that has logits. */
export { createPrng } from './prng';
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
