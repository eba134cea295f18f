/** Writes one of @llmr/fixtures' tiny models as a GGUF file through @llmr/convert. */
import { join } from 'node:path';
import { createMemoryTensorSource, type GgufDtype, writeHfModelAsGguf } from '@llmr/convert';
import { buildTinyModel, type TinyModelOptions } from '@llmr/fixtures';

export async function writeTinyGguf(
  dir: string,
  options: Omit<TinyModelOptions, 'dir'> & { dtype: GgufDtype },
) {
  const { dtype, ...modelOptions } = options;
  const model = buildTinyModel({ contextLength: 512, ...modelOptions });
  const path = join(dir, `${model.kind}-${dtype}.gguf`);
  await writeHfModelAsGguf(
    {
      dir: `tiny-${model.kind}`,
      config: model.files['config.json'],
      tokenizer: model.files['tokenizer.json'],
      tokenizerConfig: model.files['tokenizer_config.json'],
      tensors: createMemoryTensorSource(model.weights),
    },
    { output: path, dtype },
  );
  return { model, path };
}
