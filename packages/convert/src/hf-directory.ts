/**
 * Reads what a Hugging Face model directory holds: config.json, the tokenizer files, and
 * the weights (safetensors, or PyTorch's pytorch_model.bin, single or sharded), lazily, one
 * tensor at a time.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LlmrError } from '@llmr/core';
import type { GgufMetadataInput } from '@llmr/gguf';
import { findPytorchWeights, openPytorchCheckpoint } from '@llmr/pytorch';
import { openSafetensorsCheckpoint } from '@llmr/safetensors';

export interface HfTensorSource {
  readonly names: readonly string[];
  shape(name: string): readonly number[];
  dtype(name: string): string;
  /** The tensor as float32, converted from its stored dtype. */
  readFloat32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface HfDirectory {
  dir: string;
  config: Record<string, unknown>;
  tokenizer?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  /**
   * The vocabulary already as GGUF `tokenizer.ggml.*` metadata, for sources that have no
   * tokenizer.json (llama2.c's tokenizer.bin). Used instead of `tokenizer` when set.
   */
  ggufTokenizer?: Map<string, GgufMetadataInput>;
  tensors: HfTensorSource;
}

/** Which weights a model directory holds: safetensors first (as transformers prefers), else PyTorch. */
export async function hfWeightsKind(dir: string): Promise<'safetensors' | 'pytorch' | undefined> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (
    entries.some(
      (name) => name.endsWith('.safetensors') || name.endsWith('.safetensors.index.json'),
    )
  )
    return 'safetensors';
  return (await findPytorchWeights(dir).catch(() => undefined)) ? 'pytorch' : undefined;
}

/** The directory's weights as one lazy tensor source. */
export async function openHfWeights(dir: string): Promise<HfTensorSource> {
  const kind = await hfWeightsKind(dir);
  if (kind === 'pytorch') return openPytorchCheckpoint(dir);
  if (kind === 'safetensors') return openSafetensorsCheckpoint(dir);
  throw new LlmrError({
    code: 'hf-missing-file',
    message: `${dir} holds no weights: expected model.safetensors (or model.safetensors.index.json), or pytorch_model.bin (or pytorch_model.bin.index.json).`,
  });
}

async function readJson(
  path: string,
  required: boolean,
): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LlmrError({
      code: 'hf-missing-file',
      message: `Cannot read ${path}: ${(error as Error).message}. A Hugging Face model directory needs config.json and model.safetensors (or an index).`,
      cause: error,
    });
  }
  try {
    const value = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new LlmrError({
      code: 'hf-invalid-json',
      message: `${path} is not valid JSON: ${(error as Error).message}`,
      cause: error,
    });
  }
}

export async function openHfDirectory(dir: string): Promise<HfDirectory> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new LlmrError({
      code: 'hf-not-a-directory',
      message: `${dir} is not a directory; pass a Hugging Face model directory (config.json, tokenizer.json, model.safetensors).`,
    });
  }
  const config = (await readJson(join(dir, 'config.json'), true))!;
  const tokenizer = await readJson(join(dir, 'tokenizer.json'), false);
  const tokenizerConfig = await readJson(join(dir, 'tokenizer_config.json'), false);
  const generationConfig = await readJson(join(dir, 'generation_config.json'), false);
  const tensors = await openHfWeights(dir);
  return { dir, config, tokenizer, tokenizerConfig, generationConfig, tensors };
}

/** Tensors already in memory as float32 (generated models, tests). */
export function createMemoryTensorSource(
  tensors: Map<string, { shape: readonly number[]; data: Float32Array }>,
): HfTensorSource {
  const get = (name: string) => {
    const tensor = tensors.get(name);
    if (!tensor)
      throw new LlmrError({ code: 'hf-missing-tensor', message: `No tensor named ${name}.` });
    return tensor;
  };
  return {
    names: [...tensors.keys()],
    shape: (name) => get(name).shape,
    dtype: () => 'F32',
    readFloat32: async (name) => get(name).data,
    close: async () => {},
  };
}
