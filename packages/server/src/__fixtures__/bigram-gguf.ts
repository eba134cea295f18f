/**
 * The small GGUF model of the soak test and bench: the fixtures' "bigram" Llama (one
 * layer, 1,024 tokens, the same kind as the CLI's built-in default model), written as F16
 * by @llmr/convert. It writes phrases, so streams have real text and stop naturally.
 */
import { createMemoryTensorSource, writeHfModelAsGguf } from '@llmr/convert';
import { buildTinyModel } from '@llmr/fixtures';

export async function writeBigramGguf(path: string): Promise<string> {
  const model = buildTinyModel({
    kind: 'bigram',
    seed: 1,
    layers: 1,
    vocab: 1024,
    contextLength: 4096,
  });
  await writeHfModelAsGguf(
    {
      dir: 'bigram',
      config: model.files['config.json'],
      tokenizer: model.files['tokenizer.json'],
      tokenizerConfig: model.files['tokenizer_config.json'],
      tensors: createMemoryTensorSource(model.weights),
    },
    { output: path, dtype: 'f16' },
  );
  return path;
}
