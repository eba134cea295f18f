/** Writes the fixtures' tiny models as GGUF files (through @llmr/convert) and HF directories. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTensorSource, type GgufDtype, writeHfModelAsGguf } from '@llmr/convert';
import {
  buildTinyModel,
  createGaussian,
  createTinyModel,
  headDim,
  type TinyModel,
  type TinyModelOptions,
} from '@llmr/fixtures';
import { writeSafetensors } from '@llmr/safetensors';

/**
 * A random Llama fixture turned into a Qwen2 (Q/K/V biases) or Qwen3 (per-head Q/K
 * RMSNorm, tied embeddings) checkpoint: the extra tensors get seeded random values.
 */
export function asQwen(model: TinyModel, variant: 'qwen2' | 'qwen3', seed = 9): TinyModel {
  const gaussian = createGaussian(seed);
  const weights = new Map(model.weights);
  const { config } = model;
  const dim = headDim(config);
  const random = (length: number, scale: number, offset = 0) =>
    Float32Array.from({ length }, () => offset + gaussian() * scale);
  for (let layer = 0; layer < config.numLayers; layer++) {
    const prefix = `model.layers.${layer}.self_attn`;
    if (variant === 'qwen2') {
      for (const [name, rows] of [
        ['q_proj', config.numHeads * dim],
        ['k_proj', config.numKvHeads * dim],
        ['v_proj', config.numKvHeads * dim],
      ] as const)
        weights.set(`${prefix}.${name}.bias`, { shape: [rows], data: random(rows, 0.5) });
    } else {
      weights.set(`${prefix}.q_norm.weight`, { shape: [dim], data: random(dim, 0.2, 1) });
      weights.set(`${prefix}.k_norm.weight`, { shape: [dim], data: random(dim, 0.2, 1) });
    }
  }
  if (variant === 'qwen3') weights.delete('lm_head.weight');
  const configJson = {
    ...model.files['config.json'],
    architectures: [variant === 'qwen2' ? 'Qwen2ForCausalLM' : 'Qwen3ForCausalLM'],
    model_type: variant,
    tie_word_embeddings: variant === 'qwen3',
  };
  return { ...model, weights, files: { ...model.files, 'config.json': configJson } };
}

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
    /** Any in-memory model (e.g. from asQwen) as GGUF. */
    async ggufOf(model: TinyModel, name: string, dtype: GgufDtype): Promise<TinyFile> {
      const path = join(dir, `${name}-${dtype}.gguf`);
      await writeHfModelAsGguf(
        {
          dir: name,
          config: model.files['config.json'],
          tokenizer: model.files['tokenizer.json'],
          tokenizerConfig: model.files['tokenizer_config.json'],
          tensors: createMemoryTensorSource(model.weights),
        },
        { output: path, dtype },
      );
      return { ...model, path };
    },
    /** Any in-memory model as a Hugging Face directory (F32 safetensors). */
    async hfOf(model: TinyModel, name: string): Promise<TinyFile> {
      const path = join(dir, name);
      await mkdir(path, { recursive: true });
      for (const [file, value] of Object.entries(model.files))
        await writeFile(join(path, file), JSON.stringify(value));
      await writeSafetensors(
        join(path, 'model.safetensors'),
        [...model.weights].map(([tensor, { shape, data }]) => ({
          name: tensor,
          dtype: 'F32' as const,
          shape,
          data,
        })),
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
