/**
 * The `simple` loader: Llama-family decoders from a GGUF file (path, `file:` or http(s)
 * URL with Range requests, or bytes) or a Hugging Face safetensors directory, run on
 * @llmr/kernels-wasm with no native dependency. Headers are read first; weights move
 * into kernel memory one tensor at a time; the source is closed once they are in.
 */
import type { ByteSourceInput, ByteSourceOptions } from '@llmr/binary-io';
import {
  InvalidArgumentError,
  LlmrError,
  LoadError,
  type LoaderV1,
  type LoaderV1LoadOptions,
  type ModelV1,
  throwIfAborted,
} from '@llmr/core';
import { type GgufFile, getGgufModelInfo, openGguf } from '@llmr/gguf';
import { type CreateKernelsOptions, createKernels, type Kernels } from '@llmr/kernels-wasm';
import { ggufMetadataToTokenizerJson, tokenizerFromGgufMetadata } from '@llmr/tokenizer';
import { decoderConfigFromGguf } from './decoder-config';
import { loadDecoderWeights } from './decoder-weights';
import { loadHfDirectory } from './hf-directory';
import { createSimpleModel, type SimpleModel } from './simple-model';
import { ggufTensorSource } from './tensor-source';

export interface SimpleLoadOptions extends LoaderV1LoadOptions, ByteSourceOptions {
  /** Tokens of context per sequence (default: the model's, capped at 4096). */
  contextLength?: number;
  /** Kernels to run on, or how to create them (default: WASM SIMD when available). */
  kernels?: Kernels | CreateKernelsOptions;
  /** Most concurrent decode steps in one batch (default 8). */
  maxBatchSize?: number;
  /** Jinja chat template to use instead of the model's own. */
  chatTemplate?: string;
  /**
   * The GGUF file's bytes, already in memory (e.g. a SharedArrayBuffer a worker pool shares
   * between threads); the source then only names the model. Read in place, not copied.
   */
  bytes?: Uint8Array;
}

const DEFAULT_CONTEXT_CAP = 4096;
const GGUF_MAGIC = [0x47, 0x47, 0x55, 0x46];

function idOf(source: string): string {
  const name =
    source
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .split(/[\\/]/)
      .pop() ?? source;
  return name.replace(/\.gguf$/i, '') || 'model';
}

async function kernelsFor(options: SimpleLoadOptions): Promise<Kernels> {
  const given = options.kernels;
  if (given && 'memory' in given) return given;
  return createKernels(given);
}

function contextOf(options: SimpleLoadOptions, trained: number): number {
  return Math.max(
    1,
    Math.min(options.contextLength ?? Math.min(trained, DEFAULT_CONTEXT_CAP), trained),
  );
}

function wrapLoadError(source: string, error: unknown): LlmrError {
  if (LlmrError.isInstance(error)) return error;
  return new LoadError({
    source,
    message: `Cannot load "${source}": ${(error as Error).message}`,
    cause: error,
  });
}

/** Loads a GGUF model from a path, URL, Blob or bytes. */
export async function loadSimpleGguf(
  input: ByteSourceInput,
  options: SimpleLoadOptions = {},
): Promise<SimpleModel> {
  const name = typeof input === 'string' ? input : input instanceof URL ? input.href : 'memory';
  let file: GgufFile;
  try {
    file = await openGguf(input, options);
  } catch (error) {
    if (LlmrError.isInstance(error) && error.code.startsWith('gguf-'))
      throw new LoadError({
        source: name,
        code: 'runtime-simple-not-gguf',
        message: `"${name}" is not a usable GGUF file: ${error.message}`,
        cause: error,
      });
    throw wrapLoadError(name, error);
  }
  try {
    const metadata = file.metadata as Record<string, unknown>;
    const info = getGgufModelInfo(file);
    const config = decoderConfigFromGguf(metadata, info.tokenizer.tokens?.length, name);
    const tokenizer = tokenizerFromGgufMetadata(
      options.chatTemplate
        ? { ...metadata, 'tokenizer.chat_template': options.chatTemplate }
        : metadata,
    );
    const kernels = await kernelsFor(options);
    throwIfAborted(options.abortSignal);
    const weights = await loadDecoderWeights(
      kernels,
      config,
      ggufTensorSource(file),
      name,
      options,
    );
    const eos = [info.tokenizer.eosTokenId, info.tokenizer.eotTokenId].filter(
      (id): id is number => id !== undefined,
    );
    return createSimpleModel({
      id: options.id ?? idOf(name),
      format: 'gguf',
      config,
      tokenizer,
      tokenizerJson: ggufMetadataToTokenizerJson(metadata) as Record<string, unknown>,
      kernels,
      weights,
      contextLength: contextOf(options, config.contextLength),
      parameterCount: info.parameterCount,
      ...(info.fileTypeName ? { quantization: info.fileTypeName } : {}),
      eos,
      ...(options.maxBatchSize ? { maxBatchSize: options.maxBatchSize } : {}),
    });
  } catch (error) {
    throw wrapLoadError(name, error);
  } finally {
    // Every weight is in kernel memory now (or loading failed): the file is not needed.
    await file.close();
  }
}

/** Node: loads a Hugging Face directory (config.json, tokenizer.json, *.safetensors). */
export async function loadSimpleHfDirectory(
  directory: string,
  options: SimpleLoadOptions = {},
): Promise<SimpleModel> {
  try {
    const loaded = await loadHfDirectory(directory, options);
    try {
      const kernels = await kernelsFor(options);
      const weights = await loadDecoderWeights(
        kernels,
        loaded.config,
        loaded.tensors,
        directory,
        options,
      );
      return createSimpleModel({
        id: options.id ?? idOf(directory),
        format: 'safetensors',
        config: loaded.config,
        tokenizer: loaded.tokenizer,
        tokenizerJson: loaded.tokenizerJson,
        kernels,
        weights,
        contextLength: contextOf(options, loaded.config.contextLength),
        parameterCount: loaded.parameterCount,
        eos: loaded.eos,
        generationConfig: loaded.generationConfig,
        ...(options.maxBatchSize ? { maxBatchSize: options.maxBatchSize } : {}),
      });
    } finally {
      await loaded.tensors.close();
    }
  } catch (error) {
    throw wrapLoadError(directory, error);
  }
}

function isLocal(source: string): boolean {
  return (
    !/^[a-z][a-z0-9+.-]*:/i.test(source) ||
    source.startsWith('file:') ||
    /^[a-z]:[\\/]/i.test(source)
  );
}

async function localPath(source: string): Promise<string> {
  if (!source.startsWith('file:')) return source;
  const { fileURLToPath } = await import('node:url');
  return fileURLToPath(source);
}

/** What a local path is: a GGUF file, a directory, or neither (Node only). */
async function probeLocal(source: string): Promise<'gguf' | 'directory' | 'other' | 'missing'> {
  const path = await localPath(source);
  const fs = await import('node:fs/promises');
  let stats: import('node:fs').Stats;
  try {
    stats = await fs.stat(path);
  } catch {
    return 'missing';
  }
  if (stats.isDirectory()) {
    const names = await fs.readdir(path);
    return names.includes('config.json') && names.some((entry) => entry.endsWith('.safetensors'))
      ? 'directory'
      : 'other';
  }
  const handle = await fs.open(path, 'r');
  try {
    const magic = new Uint8Array(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    return bytesRead === 4 && GGUF_MAGIC.every((byte, index) => magic[index] === byte)
      ? 'gguf'
      : 'other';
  } finally {
    await handle.close();
  }
}

export interface SimpleLoaderSettings {
  /** Defaults for every load. */
  defaults?: SimpleLoadOptions;
}

export function createSimpleLoader(settings: SimpleLoaderSettings = {}): LoaderV1 {
  return {
    specificationVersion: 'v1',
    name: 'simple',
    async canLoad(source) {
      // Below llama.cpp's loader (1.0) so a registry with both prefers the native one.
      const confidence = 0.5;
      if (/^https?:\/\//i.test(source))
        return /\.gguf([?#]|$)/i.test(source)
          ? { confidence, reason: 'a .gguf URL (read with Range requests)' }
          : 0;
      if (!isLocal(source)) return 0;
      const kind = await probeLocal(source).catch(() => 'other' as const);
      if (kind === 'gguf') return { confidence, reason: 'GGUF magic bytes' };
      if (kind === 'directory')
        return { confidence, reason: 'a directory with config.json and safetensors' };
      if (kind === 'missing' && /\.gguf$/i.test(source))
        return { confidence: 0.3, reason: 'a .gguf name (file not found yet)' };
      return 0;
    },
    async doLoad(source, options = {}): Promise<ModelV1> {
      const merged: SimpleLoadOptions = { ...settings.defaults, ...options };
      throwIfAborted(merged.abortSignal);
      if (merged.bytes !== undefined) {
        if (!(merged.bytes instanceof Uint8Array))
          throw new InvalidArgumentError({
            argument: 'bytes',
            value: typeof merged.bytes,
            message: `bytes must be a Uint8Array holding a GGUF file; got ${typeof merged.bytes}.`,
          });
        return loadSimpleGguf(merged.bytes, { ...merged, id: merged.id ?? idOf(source) });
      }
      if (!isLocal(source)) return loadSimpleGguf(source, merged);
      const kind = await probeLocal(source);
      if (kind === 'directory') return loadSimpleHfDirectory(await localPath(source), merged);
      if (kind === 'missing')
        throw new LoadError({
          source,
          code: 'runtime-simple-not-found',
          message: `"${source}" does not exist: pass a .gguf file or a Hugging Face directory with config.json and *.safetensors.`,
        });
      return loadSimpleGguf(await localPath(source), merged);
    },
  };
}

export const simpleLoader = createSimpleLoader();
