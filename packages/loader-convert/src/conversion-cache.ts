/**
 * Converted models on disk: `<cacheDir>/converted/<key>/model.gguf` for llama.cpp, or the ONNX
 * model directory `<cacheDir>/converted/<key>/` (config, tokenizer, onnx/model.onnx) for ONNX
 * engines, where the key hashes the source files' contents and the conversion settings. A
 * conversion writes to a unique `.incomplete` file or directory and renames it into place, so a
 * reader never sees half a model and two processes converting the same source both end with a
 * whole one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ConvertProgress, GgufDtype, OnnxDtype } from '@llmr/convert';
import { conversionKey, type HashProgress, hashFiles } from './content-hash';
import type { SourceFiles } from './source-files';

/** Bump when the converter's output for the same input changes, so old conversions are redone. */
/** 2: the ONNX export marks q8/q4 MatMulNBits with accuracy_level 4 (ONNX Runtime dequantized every weight per call without it). */
export const CONVERTER_REVISION = 2;

/** llmr's cache: `LLMR_HOME`, else `$XDG_CACHE_HOME/llmr`, else `~/.cache/llmr`. */
export function defaultCacheDir(): string {
  return (
    process.env.LLMR_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'llmr')
  );
}

/** What a source is converted to: GGUF for llama.cpp, or an ONNX model directory. */
export type ConversionTarget = 'gguf' | 'onnx';

export interface ConvertedModel {
  /** The GGUF file, or the ONNX model directory. */
  path: string;
  /** True when the conversion was already in the cache. */
  cached: boolean;
  /**
   * The content address: a hash of the source files' SHA-256s (by file name), the dtype, the
   * source kind, the target and the converter revision; the artefact's directory is named by it.
   */
  key: string;
  target: ConversionTarget;
}

export type EnsureConvertedOptions = {
  cacheDir: string;
  abortSignal?: AbortSignal;
  onHashProgress?: (progress: HashProgress) => void;
  /** GGUF: bytes written; ONNX: one call per tensor converted (its total is unknown: 0). */
  onConvertProgress?: (progress: ConvertProgress) => void;
} & ({ target?: 'gguf'; dtype: GgufDtype } | { target: 'onnx'; dtype: OnnxDtype });

const inFlight = new Map<string, Promise<ConvertedModel>>();

/**
 * Where the GGUF for `source` is (or would be) kept, and whether it is there: the source
 * files are hashed (remembered hashes are reused), nothing is converted. With `readOnly`
 * nothing is written to the cache either (new hashes are not remembered).
 */
export async function locateConverted(
  source: SourceFiles,
  options: Omit<EnsureConvertedOptions, 'abortSignal' | 'onConvertProgress'> & {
    readOnly?: boolean;
  },
): Promise<ConvertedModel> {
  const root = join(options.cacheDir, 'converted');
  const hashes = await hashFiles(
    source.files,
    join(root, 'hashes'),
    options.onHashProgress,
    !options.readOnly,
  );
  const target = options.target ?? 'gguf';
  const key = conversionKey(hashes, {
    revision: CONVERTER_REVISION,
    dtype: options.dtype,
    kind: source.kind,
    // GGUF keys predate targets: they stay as they were, so existing conversions are reused.
    ...(target === 'gguf' ? {} : { target }),
  });
  const path = target === 'gguf' ? join(root, key, 'model.gguf') : join(root, key);
  // An ONNX directory is only ever renamed into place whole, so its model file means complete.
  const file = target === 'gguf' ? path : join(path, 'onnx', 'model.onnx');
  const cached = (await stat(file).catch(() => undefined))?.isFile() === true;
  return { path, cached, key, target };
}

/** The cached GGUF or ONNX directory for `source`, converting it first when it is not there yet. */
export async function ensureConverted(
  input: string,
  source: SourceFiles,
  options: EnsureConvertedOptions,
): Promise<ConvertedModel> {
  const located = await locateConverted(source, options);
  if (located.cached) return located;
  const { path, key } = located;
  const dir = dirname(path);
  // One conversion per key in this process; concurrent loads wait for it.
  let pending = inFlight.get(key);
  if (pending) return pending;
  if (options.target === 'onnx') {
    pending = convertToOnnxDirectory(input, located, options).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  } else {
    const { dtype } = options;
    pending = (async () => {
      const { convertHfToGguf } = await import('@llmr/convert');
      await mkdir(dir, { recursive: true });
      const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.incomplete`;
      try {
        await convertHfToGguf({
          input,
          output: temporary,
          dtype,
          tokenizer: source.tokenizer,
          name: input
            .replace(/[\\/]+$/, '')
            .split(/[\\/]/)
            .at(-1)
            ?.replace(/\.bin$/, ''),
          abortSignal: options.abortSignal,
          onProgress: options.onConvertProgress,
        });
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      return { path, cached: false, key, target: 'gguf' as const };
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

/**
 * Writes the ONNX model directory next to its final place under a unique `.incomplete` name and
 * renames it into place; an interrupted or failed conversion removes it, so the key's directory
 * is either absent or whole.
 */
async function convertToOnnxDirectory(
  input: string,
  located: ConvertedModel,
  options: EnsureConvertedOptions & { target: 'onnx' },
): Promise<ConvertedModel> {
  const { convertHfToOnnx } = await import('@llmr/convert');
  await mkdir(dirname(located.path), { recursive: true });
  const temporary = `${located.path}.${process.pid}.${randomBytes(4).toString('hex')}.incomplete`;
  let tensors = 0;
  try {
    await convertHfToOnnx({
      input,
      output: temporary,
      dtype: options.dtype,
      abortSignal: options.abortSignal,
      onProgress: ({ stage, tensor }) => {
        if (stage !== 'tensors') return;
        tensors += 1;
        options.onConvertProgress?.({
          stage,
          tensor,
          tensorsDone: tensors,
          tensorsTotal: 0,
          bytesWritten: 0,
          totalBytes: 0,
        });
      },
    });
    try {
      await rename(temporary, located.path);
    } catch (error) {
      // Another process renamed its whole conversion of the same key into place first.
      if ((await stat(join(located.path, 'onnx', 'model.onnx')).catch(() => undefined))?.isFile())
        await rm(temporary, { recursive: true, force: true });
      else throw error;
    }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return { ...located, cached: false };
}
