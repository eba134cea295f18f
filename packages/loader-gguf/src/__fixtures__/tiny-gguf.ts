/** Writes the fixtures' tiny models as GGUF files (through @llmr/convert) for these tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTensorSource, type GgufDtype, writeHfModelAsGguf } from '@llmr/convert';
import { buildTinyModel, type TinyModel } from '@llmr/fixtures';

export interface TinyGguf extends TinyModel {
  path: string;
}

export async function tinyGgufDirectory() {
  const dir = await mkdtemp(join(tmpdir(), 'llmr-gguf-'));
  return {
    dir,
    /** `shape` overrides the fixture's sizes (e.g. a head size a quantized KV cache accepts). */
    async write(
      kind: 'random' | 'oracle',
      dtype: GgufDtype,
      seed = 1,
      shape: { hidden?: number; heads?: number } = {},
    ): Promise<TinyGguf> {
      const model = buildTinyModel({ kind, seed, contextLength: 512, ...shape });
      const suffix = shape.hidden || shape.heads ? `-h${shape.hidden}x${shape.heads}` : '';
      const path = join(dir, `${kind}-${seed}-${dtype}${suffix}.gguf`);
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
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
