/**
 * The `convert` loader: sources llama.cpp cannot read directly — a Hugging Face directory with
 * safetensors or PyTorch weights, a llama2.c `.bin` — are converted on first use (@llmr/convert)
 * into llmr's cache: to GGUF by default, or to an ONNX model directory when the load options
 * name an ONNX engine (`engineName`) or `target: 'onnx'`. The result is loaded through the
 * registry this loader is given (or a load callback). It imports no format loader itself.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GgufDtype, OnnxDtype } from '@llmr/convert';
import {
  InvalidArgumentError,
  LlmrError,
  LoadError,
  type LoaderV1,
  type LoaderV1LoadOptions,
  type ModelV1,
  NoSuchLoaderError,
  type Registry,
  throwIfAborted,
} from '@llmr/core';
import {
  type ConversionTarget,
  type ConvertedModel,
  defaultCacheDir,
  ensureConverted,
  locateConverted,
} from './conversion-cache';
import { mightBeSource, sourceFiles } from './source-files';

export interface ConvertLoadOptions extends LoaderV1LoadOptions {
  /**
   * The registry whose loaders load the conversion (a GGUF loader must be in it, or an ONNX
   * loader for the ONNX target).
   */
  registry?: Registry;
  /**
   * What to convert to. Default: `onnx` when `engineName` names an engine (only graph models
   * have engines to choose), else `gguf` for llama.cpp.
   */
  target?: ConversionTarget;
  /** Type of the converted weights: GGUF (default f16), or ONNX f32|f16|q8|q4 (default f32). */
  dtype?: GgufDtype | OnnxDtype;
  /** llama2.c: its tokenizer.bin or tokenizer.json, when not beside the checkpoint. */
  tokenizer?: string;
  /** Where converted models are kept (default: llmr's cache, see `defaultCacheDir`). */
  cacheDir?: string;
}

export interface ConvertLoaderSettings {
  /** Loads the converted GGUF through this registry... */
  registry?: Registry;
  /** ...or with this callback (e.g. `(path, options) => ggufLoader.doLoad(path, options)`). */
  load?: (ggufPath: string, options: LoaderV1LoadOptions) => Promise<ModelV1>;
  /** Defaults for every load. */
  defaults?: ConvertLoadOptions;
}

export interface ConvertLoader extends LoaderV1 {
  doLoad(source: string, options?: ConvertLoadOptions): Promise<ModelV1>;
  /** Converts (or finds in the cache) without loading: the GGUF's or ONNX directory's path. */
  convert(source: string, options?: ConvertLoadOptions): Promise<ConvertedModel>;
  /**
   * Which cached GGUF or ONNX directory serves `source` with these options, and whether it
   * exists yet; hashes the
   * source (reusing remembered hashes) but converts and writes nothing (what `llmr inspect`
   * reports).
   */
  locate(source: string, options?: ConvertLoadOptions): Promise<ConvertedModel>;
}

const OWN_KEYS = ['registry', 'target', 'dtype', 'tokenizer', 'cacheDir'] as const;

function toPath(source: string): string {
  return source.startsWith('file:') ? fileURLToPath(source) : source;
}

export function createConvertLoader(settings: ConvertLoaderSettings = {}): ConvertLoader {
  const resolve = async (source: string, loadOptions: ConvertLoadOptions) => {
    const options: ConvertLoadOptions = { ...settings.defaults, ...loadOptions };
    const target = targetOf(options);
    const { GGUF_DTYPES, ONNX_DTYPES } = await import('@llmr/convert');
    const dtypes: readonly string[] = target === 'onnx' ? ONNX_DTYPES : GGUF_DTYPES;
    const dtype = options.dtype ?? (target === 'onnx' ? 'f32' : 'f16');
    if (!dtypes.includes(dtype)) {
      throw new InvalidArgumentError({
        argument: 'dtype',
        value: dtype,
        message: `dtype must be one of ${dtypes.join(', ')} for the ${target} target; got "${dtype}".`,
      });
    }
    const path = toPath(source);
    const files = await sourceFiles(path, { tokenizer: options.tokenizer });
    if (!files) {
      throw new LoadError({
        source,
        code: 'convert-unknown-source',
        message: `${path} is neither a Hugging Face model directory (config.json with safetensors or pytorch_model.bin weights) nor a llama2.c checkpoint.`,
      });
    }
    if (target === 'onnx' && files.kind !== 'hf-directory') {
      throw new LoadError({
        source,
        code: 'convert-onnx-needs-hf-directory',
        message: `${path} is a ${files.kind} checkpoint; only Hugging Face model directories convert to ONNX. Run it on llama.cpp instead (leave out --engine / target: 'onnx').`,
      });
    }
    const cache =
      target === 'onnx'
        ? { target, dtype: dtype as OnnxDtype }
        : { target, dtype: dtype as GgufDtype };
    return { options, cache, path, files };
  };
  const locate = async (source: string, loadOptions: ConvertLoadOptions = {}) => {
    const { options, cache, files } = await resolve(source, loadOptions);
    return locateConverted(files, {
      cacheDir: options.cacheDir ?? defaultCacheDir(),
      ...cache,
      readOnly: true,
    });
  };
  const convert = async (source: string, loadOptions: ConvertLoadOptions = {}) => {
    const { options, cache, path, files } = await resolve(source, loadOptions);
    return ensureConverted(path, files, {
      cacheDir: options.cacheDir ?? defaultCacheDir(),
      ...cache,
      abortSignal: options.abortSignal,
      onHashProgress: ({ loaded, total }) => options.onProgress?.({ loaded, total, stage: 'hash' }),
      // GGUF reports bytes against a known total; ONNX counts tensors without one.
      onConvertProgress: (progress) =>
        options.onProgress?.(
          progress.totalBytes
            ? { loaded: progress.bytesWritten, total: progress.totalBytes, stage: 'convert' }
            : { loaded: progress.tensorsDone, stage: 'convert' },
        ),
    });
  };

  return {
    specificationVersion: 'v1',
    name: 'convert',

    async canLoad(source) {
      if (/^(hf|https?|mock):/.test(source)) return { confidence: 0, reason: 'not a local path' };
      const path = toPath(source);
      if (!(await mightBeSource(path))) return { confidence: 0, reason: 'not a model source' };
      const files = await sourceFiles(path).catch(() => undefined);
      if (files?.kind === 'llama2c')
        return { confidence: 0.9, reason: 'a llama2.c checkpoint (header matches the file size)' };
      if (files?.kind !== 'hf-directory') return { confidence: 0, reason: 'not a model source' };
      if (!files.files.some((file) => basename(file) === 'config.json'))
        return { confidence: 0, reason: 'a directory without config.json' };
      const { hfWeightsKind } = await import('@llmr/convert');
      const weights = await hfWeightsKind(path);
      if (weights === 'pytorch')
        return { confidence: 0.8, reason: 'a Hugging Face directory with PyTorch weights' };
      if (weights === 'safetensors')
        return {
          confidence: 0.5,
          reason: 'a Hugging Face directory with safetensors weights (converted to GGUF)',
        };
      return { confidence: 0, reason: 'a directory without model weights' };
    },

    convert,
    locate,

    async doLoad(source, loadOptions: ConvertLoadOptions = {}): Promise<ModelV1> {
      const options: ConvertLoadOptions = { ...settings.defaults, ...loadOptions };
      const converted = await convert(source, options);
      throwIfAborted(options.abortSignal);
      const rest: LoaderV1LoadOptions = { ...options };
      for (const key of OWN_KEYS) delete rest[key];
      rest.id = options.id ?? basename(toPath(source).replace(/[\\/]+$/, ''));
      const registry = options.registry ?? settings.registry;
      if (!registry && settings.load) return settings.load(converted.path, rest);
      if (!registry) {
        throw new LlmrError({
          code: 'convert-no-registry',
          message: `Converted ${source} to ${converted.path}, but this loader was given no registry to load it with: pass createConvertLoader({ registry }) (with a GGUF loader such as @llmr/loader-gguf's ggufLoader), the registry load option, or a load callback.`,
        });
      }
      try {
        return await registry.load(converted.path, rest);
      } catch (error) {
        if (NoSuchLoaderError.isInstance(error)) {
          throw new LlmrError({
            code: `convert-no-${converted.target}-loader`,
            message: `Converted ${source} to ${converted.path}, but no loader in the registry loads ${converted.target === 'onnx' ? 'ONNX model directories' : 'GGUF'} (asked: ${error.tried.join(', ') || 'none'}). Register ${converted.target === 'onnx' ? "@llmr/loader-onnx's createOnnxLoader with an engine (e.g. @llmr/engine-node)" : "@llmr/loader-gguf's ggufLoader"}.`,
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}

/** Naming an engine asks for a graph model: llama.cpp has no engines to choose from. */
function targetOf(options: ConvertLoadOptions): ConversionTarget {
  if (options.target !== undefined && options.target !== 'gguf' && options.target !== 'onnx') {
    throw new InvalidArgumentError({
      argument: 'target',
      value: options.target,
      message: `target must be gguf or onnx; got "${String(options.target)}".`,
    });
  }
  return options.target ?? (typeof options.engineName === 'string' ? 'onnx' : 'gguf');
}

/** The default instance: pass `registry` in the load options. */
export const convertLoader: ConvertLoader = createConvertLoader();
