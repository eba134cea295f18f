/** An in-memory HF model from the fixtures (no files), as the converter opens one. */
import { buildTinyModel, type TinyModelOptions } from '@llmr/fixtures';
import { createMemoryTensorSource, type HfDirectory } from '../hf-directory';

export function tinyHf(
  kind: 'random' | 'oracle',
  seed = 1,
  options: Omit<TinyModelOptions, 'dir' | 'kind' | 'seed'> = {},
) {
  const model = buildTinyModel({ kind, seed, contextLength: 256, ...options });
  const hf: HfDirectory = {
    dir: `tiny-${kind}`,
    config: model.files['config.json'],
    tokenizer: model.files['tokenizer.json'],
    tokenizerConfig: model.files['tokenizer_config.json'],
    tensors: createMemoryTensorSource(model.weights),
  };
  return { hf, ...model };
}
