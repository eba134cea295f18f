/** Builds an in-memory HF model from the fixtures (no files) for converter tests. */
import {
  encodeWithBpe,
  fixtureTokenizer,
  type LlamaConfig,
  learnSuccessors,
  oracleWeights,
  randomWeights,
  TRAINING_CORPUS,
  toConfigJson,
  toTokenizerConfig,
  toTokenizerJson,
} from '@llmr/fixtures';
import { createMemoryTensorSource, type HfDirectory } from '../hf-directory';

export function tinyHf(kind: 'random' | 'oracle', seed = 1) {
  const bpe = fixtureTokenizer(384);
  const vocabSize = bpe.vocab.size;
  const hidden = kind === 'oracle' ? Math.ceil(vocabSize / 32) * 32 : 64;
  const config: LlamaConfig = {
    vocabSize,
    hiddenSize: hidden,
    intermediateSize: hidden * 2,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    contextLength: 256,
    bosTokenId: bpe.specialTokens['<|begin_of_text|>'],
    eosTokenId: bpe.specialTokens['<|im_end|>'],
  };
  const specials = new Set(Object.values(bpe.specialTokens));
  const successor =
    kind === 'oracle'
      ? learnSuccessors(encodeWithBpe(bpe, TRAINING_CORPUS), vocabSize, specials)
      : undefined;
  const weights = successor ? oracleWeights(config, successor, seed) : randomWeights(config, seed);
  const hf: HfDirectory = {
    dir: `tiny-${kind}`,
    config: toConfigJson(config),
    tokenizer: toTokenizerJson(bpe),
    tokenizerConfig: toTokenizerConfig(bpe),
    tensors: createMemoryTensorSource(weights),
  };
  return { hf, config, weights, bpe, successor };
}
