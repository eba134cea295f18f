/**
 * Hugging Face (config.json + tokenizer + safetensors or PyTorch weights) -> a TF.js graph
 * model directory (a Llama-family decoder, or a BERT encoder for embeddings): model.json (tfjs-converter's graph-model format) and its weight shards,
 * with config.json, generation_config.json, tokenizer.json and tokenizer_config.json beside
 * them, so a loader finds the tokenizer and the model's settings next to the graph.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import { type HfDirectory, openHfDirectory } from '../hf-directory';
import { buildBertTfjsGraph, isBertConfig } from './bert-tfjs-graph';
import {
  buildLlamaTfjsGraph,
  type LlamaTfjsOptions,
  TFJS_DTYPES,
  type TfjsDtype,
} from './llama-tfjs-graph';
import { shardWeights, TFJS_SHARD_BYTES } from './tfjs-graph-builder';

export interface ConvertToTfjsOptions extends LlamaTfjsOptions {
  /** Hugging Face model directory. */
  input: string;
  /** Output directory (created). */
  output: string;
  /** Bytes per weight shard (tfjs-converter's `--weight_shard_size_bytes`). Default 4 MiB. */
  shardBytes?: number;
  onProgress?: (progress: { stage: 'tensors' | 'write'; tensor?: string }) => void;
}

export interface ConvertToTfjsResult {
  /** Path of the written model.json. */
  modelPath: string;
  shards: string[];
  bytes: number;
  dtype: TfjsDtype;
  layers: number;
}

/** The model in memory: model.json's text and its shards by file name. */
export interface TfjsModelFiles {
  modelJson: string;
  shards: Record<string, Uint8Array>;
}

function checkDtype(dtype: string | undefined) {
  if (dtype !== undefined && !TFJS_DTYPES.includes(dtype as TfjsDtype)) {
    throw new InvalidArgumentError({
      argument: 'dtype',
      value: dtype,
      message: `dtype for TF.js must be one of ${TFJS_DTYPES.join(', ')}; got "${dtype}".`,
    });
  }
}

/** The decoder as model.json + shards in memory (tests, browsers). */
export async function hfModelToTfjs(
  hf: HfDirectory,
  options: LlamaTfjsOptions & { shardBytes?: number } = {},
): Promise<TfjsModelFiles & { layers: number }> {
  checkDtype(options.dtype);
  const dtype = options.dtype ?? 'f32';
  const encoder = isBertConfig(hf.config);
  if (encoder && dtype !== 'f32')
    throw new InvalidArgumentError({
      argument: 'dtype',
      value: dtype,
      message: `BERT encoders convert to TF.js in f32 only; got "${dtype}".`,
    });
  const graph = encoder
    ? await buildBertTfjsGraph(hf, options)
    : await buildLlamaTfjsGraph(hf, options);
  const { model, weightSpecs, weightBytes } = graph.builder.toModelJson({
    'llmr.layout': encoder ? 'encoder' : 'optimum-decoder-with-past',
    'llmr.dtype': dtype,
  });
  const shards = shardWeights(weightBytes, options.shardBytes ?? TFJS_SHARD_BYTES);
  const modelJson = JSON.stringify({
    ...model,
    weightsManifest: [{ paths: shards.map((shard) => shard.path), weights: weightSpecs }],
  });
  return {
    modelJson,
    shards: Object.fromEntries(shards.map((shard) => [shard.path, shard.bytes])),
    layers: graph.layers,
  };
}

/** The conversion over an opened model (files on disk, or tensors in memory for tests). */
export async function writeHfModelAsTfjs(
  hf: HfDirectory,
  options: Omit<ConvertToTfjsOptions, 'input'>,
): Promise<ConvertToTfjsResult> {
  const dtype = options.dtype ?? 'f32';
  const files = await hfModelToTfjs(hf, {
    ...options,
    onTensor: (tensor) => options.onProgress?.({ stage: 'tensors', tensor }),
  });
  options.onProgress?.({ stage: 'write' });
  await mkdir(options.output, { recursive: true });
  let bytes = files.modelJson.length;
  for (const [path, shard] of Object.entries(files.shards)) {
    await writeFile(join(options.output, path), shard);
    bytes += shard.byteLength;
  }
  const modelPath = join(options.output, 'model.json');
  await writeFile(modelPath, files.modelJson);
  const json = (name: string, value: unknown) =>
    writeFile(join(options.output, name), `${JSON.stringify(value, null, 2)}\n`);
  await json('config.json', hf.config);
  if (hf.generationConfig) await json('generation_config.json', hf.generationConfig);
  if (hf.tokenizer) await json('tokenizer.json', hf.tokenizer);
  if (hf.tokenizerConfig) await json('tokenizer_config.json', hf.tokenizerConfig);
  // sentence-transformers' pooling and normalization settings travel with an encoder.
  for (const name of ['modules.json', join('1_Pooling', 'config.json')]) {
    const text = await readFile(join(hf.dir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    await mkdir(dirname(join(options.output, name)), { recursive: true });
    await writeFile(join(options.output, name), text);
  }
  return { modelPath, shards: Object.keys(files.shards), bytes, dtype, layers: files.layers };
}

export async function convertHfToTfjs(options: ConvertToTfjsOptions): Promise<ConvertToTfjsResult> {
  checkDtype(options.dtype);
  const hf = await openHfDirectory(options.input);
  try {
    return await writeHfModelAsTfjs(hf, options);
  } finally {
    await hf.tensors.close();
  }
}
