/**
 * A checkpoint however it was saved: one file (`pytorch_model.bin`, `*.pt`, `*.pth`), or the
 * shards of `pytorch_model.bin.index.json` (the same `{ metadata, weight_map }` index that
 * safetensors checkpoints use), or a model directory holding either, behind one lazy reader.
 */
import { type ByteSource, type ByteSourceInput, toByteSource } from '@llmr/binary-io';
import { LoadError, ParseError } from '@llmr/core';
import { parseSafetensorsIndex } from '@llmr/safetensors';
import { pytorchError } from './pytorch-error';
import { resolvePytorchLimits } from './pytorch-limits';
import {
  openPytorch,
  type PytorchFile,
  type PytorchTensorReader,
  type ReadPytorchOptions,
} from './pytorch-reader';

/** The names Hugging Face's `save_pretrained` uses. */
export const PYTORCH_SINGLE_FILE = 'pytorch_model.bin';
export const PYTORCH_INDEX_FILE = 'pytorch_model.bin.index.json';

export interface OpenPytorchCheckpointOptions extends ReadPytorchOptions {
  /** Where a shard named in the index lives (needed when the index is given as bytes). */
  resolveShard?: (
    fileName: string,
  ) => ByteSourceInput | ByteSource | Promise<ByteSourceInput | ByteSource>;
}

export interface PytorchCheckpoint extends PytorchTensorReader {
  readonly files: readonly PytorchFile[];
  /** The shard that holds a tensor (`undefined` for single files). */
  shardOf(name: string): string | undefined;
}

/** Finds the checkpoint in a directory: the index, else the one weights file. */
export async function findPytorchWeights(dir: string): Promise<string | undefined> {
  const { readdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const entries = await readdir(dir);
  if (entries.includes(PYTORCH_INDEX_FILE)) return join(dir, PYTORCH_INDEX_FILE);
  if (entries.includes(PYTORCH_SINGLE_FILE)) return join(dir, PYTORCH_SINGLE_FILE);
  const indexes = entries.filter((name) => name.endsWith('.bin.index.json'));
  if (indexes.length === 1) return join(dir, indexes[0]!);
  const files = entries.filter((name) => /\.(pt|pth)$/.test(name));
  return files.length === 1 ? join(dir, files[0]!) : undefined;
}

async function locate(input: ByteSourceInput | ByteSource, options: OpenPytorchCheckpointOptions) {
  if (typeof input !== 'string' || /^https?:\/\//i.test(input)) {
    const isIndex = typeof input === 'string' && /\.json$/i.test(new URL(input).pathname);
    return {
      input,
      isIndex,
      resolveShard: options.resolveShard ?? ((name: string) => new URL(name, input as string).href),
    };
  }
  const { stat } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  let path = input.startsWith('file:') ? fileURLToPath(input) : input;
  const info = await stat(path).catch((error: unknown) => {
    throw new LoadError({
      source: path,
      code: 'file-open-failed',
      message: `Cannot open "${path}": ${(error as Error).message}.`,
      cause: error,
    });
  });
  if (info.isDirectory()) {
    const found = await findPytorchWeights(path);
    if (!found) {
      throw new LoadError({
        source: path,
        code: 'pytorch-not-found',
        message: `"${path}" holds no ${PYTORCH_SINGLE_FILE}, no ${PYTORCH_INDEX_FILE} and no single .pt/.pth file.`,
      });
    }
    path = found;
  }
  const dir = dirname(path);
  return {
    input: path,
    isIndex: path.endsWith('.json'),
    resolveShard: options.resolveShard ?? ((name: string) => join(dir, name)),
  };
}

async function readIndex(
  input: ByteSourceInput | ByteSource,
  options: OpenPytorchCheckpointOptions,
) {
  const limits = resolvePytorchLimits(options.limits);
  const source = await toByteSource(input, options);
  try {
    const bytes = await source.read(0, limits.maxIndexSize + 1);
    if (bytes.byteLength > limits.maxIndexSize) {
      throw pytorchError(
        'pytorch-limit-exceeded',
        `The index is larger than maxIndexSize (${limits.maxIndexSize} bytes).`,
      );
    }
    return parseSafetensorsIndex(bytes, { limits: { maxIndexSize: limits.maxIndexSize } });
  } catch (error) {
    if (ParseError.isInstance(error) && error.format === 'safetensors') {
      throw pytorchError(
        'pytorch-invalid-index',
        error.message.replace(/^The index/, `${PYTORCH_INDEX_FILE}`),
        undefined,
        error,
      );
    }
    throw error;
  } finally {
    await source.close();
  }
}

/** Opens a file, an index or a model directory. Close it when done. */
export async function openPytorchCheckpoint(
  input: ByteSourceInput | ByteSource,
  options: OpenPytorchCheckpointOptions = {},
): Promise<PytorchCheckpoint> {
  const located = await locate(input, options);
  if (!located.isIndex) {
    const file = await openPytorch(located.input, options);
    return { ...file, names: file.names, files: [file], shardOf: () => undefined };
  }
  const index = await readIndex(located.input, options);
  const files: PytorchFile[] = [];
  const byShard = new Map<string, PytorchFile>();
  try {
    for (const shard of index.shards) {
      const file = await openPytorch(await located.resolveShard(shard), options);
      files.push(file);
      byShard.set(shard, file);
    }
  } catch (error) {
    await Promise.all(files.map((file) => file.close()));
    throw error;
  }
  const held = new Map(files.map((file) => [file, new Set(file.names)]));
  for (const [name, shard] of index.weightMap) {
    if (!held.get(byShard.get(shard)!)!.has(name)) {
      await Promise.all(files.map((file) => file.close()));
      throw pytorchError(
        'pytorch-invalid-index',
        `${PYTORCH_INDEX_FILE} puts "${name.slice(0, 200)}" in ${shard}, which does not hold it.`,
      );
    }
  }
  const fileOf = (name: string) => {
    const shard = index.weightMap.get(name);
    if (shard === undefined) {
      throw pytorchError(
        'pytorch-invalid-tensor',
        `No tensor named "${name.slice(0, 200)}" in the index.`,
      );
    }
    return byShard.get(shard)!;
  };
  return {
    names: [...index.weightMap.keys()],
    files,
    shardOf: (name) => index.weightMap.get(name),
    tensor: (name) => fileOf(name).tensor(name),
    shape: (name) => fileOf(name).shape(name),
    dtype: (name) => fileOf(name).dtype(name),
    readFloat32: (name) => fileOf(name).readFloat32(name),
    close: async () => {
      await Promise.all(files.map((file) => file.close()));
    },
  };
}
