/** `@llmr/loader-onnx/sampling`: kept for existing imports; the sampler lives in @llmr/sampling. */
export {
  createSampler,
  logSoftmax,
  type SampleOptions,
  type SampleResult,
  type Sampler,
  type SamplerOptions,
  type TokenLogprob,
  topEntries,
} from '@llmr/sampling';
