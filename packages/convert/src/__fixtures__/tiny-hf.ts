/** An in-memory HF model from the fixtures (no files), as the converter opens one. */
import {
  buildTinyBitnet,
  buildTinyModel,
  type TinyBitnetOptions,
  type TinyModel,
  type TinyModelOptions,
} from '@llmr/fixtures';
import { createMemoryTensorSource, type HfDirectory } from '../hf-directory';

function memoryHf(model: TinyModel, dir: string): HfDirectory {
  return {
    dir,
    config: model.files['config.json'],
    tokenizer: model.files['tokenizer.json'],
    tokenizerConfig: model.files['tokenizer_config.json'],
    tensors: createMemoryTensorSource(model.weights),
  };
}

export function tinyHf(
  kind: 'random' | 'oracle',
  seed = 1,
  options: Omit<TinyModelOptions, 'dir' | 'kind' | 'seed'> = {},
) {
  const model = buildTinyModel({ kind, seed, contextLength: 256, ...options });
  return { hf: memoryHf(model, `tiny-${kind}`), ...model };
}

/** The tiny BitnetForCausalLM (latent float weights, sub-norms, tied embeddings). */
export function tinyBitnetHf(options: TinyBitnetOptions = {}) {
  const model = buildTinyBitnet({ contextLength: 256, ...options });
  return { hf: memoryHf(model, 'tiny-bitnet'), ...model };
}
