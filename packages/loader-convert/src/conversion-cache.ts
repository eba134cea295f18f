/**
 * Converted models on disk: `<cacheDir>/converted/<key>/model.gguf`, where the key hashes the
 * source files' contents and the conversion settings. A conversion writes to a unique
 * `.incomplete` file and renames it into place, so a reader never sees half a model and two
 * processes converting the same source both end with a whole one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ConvertProgress, GgufDtype } from '@llmr/convert';
import { conversionKey, type HashProgress, hashFiles } from './content-hash';
import type { SourceFiles } from './source-files';

/** Bump when the converter's output for the same input changes, so old conversions are redone. */
export const CONVERTER_REVISION = 1;

/** llmr's cache: `LLMR_HOME`, else `$XDG_CACHE_HOME/llmr`, else `~/.cache/llmr`. */
export function defaultCacheDir(): string {
  return (
    process.env.LLMR_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'llmr')
  );
}

export interface ConvertedModel {
  path: string;
  /** True when the GGUF was already in the cache. */
  cached: boolean;
  /**
   * The content address: a hash of the source files' SHA-256s (by file name), the dtype, the
   * source kind and the converter revision; the GGUF's directory is named by it.
   */
  key: string;
}

export interface EnsureConvertedOptions {
  cacheDir: string;
  dtype: GgufDtype;
  abortSignal?: AbortSignal;
  onHashProgress?: (progress: HashProgress) => void;
  onConvertProgress?: (progress: ConvertProgress) => void;
}

const inFlight = new Map<string, Promise<ConvertedModel>>();

/**
 * Where the GGUF for `source` is (or would be) kept, and whether it is there: the source
 * files are hashed (remembered hashes are reused), nothing is converted. With `readOnly`
 * nothing is written to the cache either (new hashes are not remembered).
 */
export async function locateConverted(
  source: SourceFiles,
  options: Pick<EnsureConvertedOptions, 'cacheDir' | 'dtype' | 'onHashProgress'> & {
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
  const key = conversionKey(hashes, {
    revision: CONVERTER_REVISION,
    dtype: options.dtype,
    kind: source.kind,
  });
  const path = join(root, key, 'model.gguf');
  const cached = (await stat(path).catch(() => undefined))?.isFile() === true;
  return { path, cached, key };
}

/** The cached GGUF for `source`, converting it first when it is not there yet. */
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
  if (!pending) {
    pending = (async () => {
      const { convertHfToGguf } = await import('@llmr/convert');
      await mkdir(dir, { recursive: true });
      const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.incomplete`;
      try {
        await convertHfToGguf({
          input,
          output: temporary,
          dtype: options.dtype,
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
      return { path, cached: false, key };
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}
