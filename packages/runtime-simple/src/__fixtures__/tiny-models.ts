/** Writes the fixtures' tiny models as GGUF files (through @llmr/convert) and HF directories. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTensorSource, type GgufDtype, writeHfModelAsGguf } from '@llmr/convert';
import {
  buildTinyModel,
  createTinyModel,
  type TinyModel,
  type TinyModelOptions,
} from '@llmr/fixtures';

export interface TinyFile extends TinyModel {
  path: string;
}

export async function tinyModelDirectory() {
  const dir = await mkdtemp(join(tmpdir(), 'llmr-simple-'));
  return {
    dir,
    async gguf(
      kind: 'random' | 'oracle',
      dtype: GgufDtype,
      options: Omit<TinyModelOptions, 'dir' | 'kind'> = {},
    ): Promise<TinyFile> {
      const model = buildTinyModel({ kind, contextLength: 512, ...options });
      const path = join(dir, `${kind}-${options.seed ?? 1}-${options.layers ?? 2}-${dtype}.gguf`);
      await writeHfModelAsGguf(
        {
          dir: `tiny-${kind}`,
          config: model.files['config.json'],
          tokenizer: model.files['tokenizer.json'],
          tokenizerConfig: model.files['tokenizer_config.json'],
          tensors: createMemoryTensorSource(model.weights),
        },
        { output: path, dtype },
      );
      return { ...model, path };
    },
    async hf(options: Omit<TinyModelOptions, 'dir'> = {}): Promise<TinyFile> {
      const path = join(dir, `hf-${options.kind ?? 'random'}-${options.seed ?? 1}`);
      const model = await createTinyModel({ contextLength: 512, ...options, dir: path });
      return { ...model, path };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
