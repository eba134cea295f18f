import type { fixtureTokenizer, LlamaConfig } from '@llmr/fixtures';

/**
 * The Llama shape both ONNX benches generate: GQA (8 query heads over 4 KV heads), an MLP three
 * times as wide as the model, and an end-of-sequence token that random weights do not reach
 * early, so every run generates the tokens it asks for.
 */
export function benchLlamaConfig(
  bpe: ReturnType<typeof fixtureTokenizer>,
  hidden: number,
  layers: number,
): LlamaConfig {
  return {
    vocabSize: bpe.vocab.size,
    hiddenSize: hidden,
    intermediateSize: hidden * 3,
    numLayers: layers,
    numHeads: 8,
    numKvHeads: 4,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    contextLength: 1024,
    bosTokenId: bpe.specialTokens['<|begin_of_text|>'],
    eosTokenId: bpe.specialTokens['<|end_of_text|>'],
  };
}
