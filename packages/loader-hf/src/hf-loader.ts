/**
 * The `hf` loader: pulls an `hf:` source into the cache, then hands the local files to
 * whichever format loader the registry picks (a .gguf file, or the snapshot folder of an
 * ONNX or safetensors model). It never imports a format loader itself: the registry comes
 * from the load options or from `createHfLoader({ registry | loaders })`, so the
 * application that installed the format loaders decides which ones it gets.
 */
import {
  createRegistry,
  type LoaderV1,
  type LoaderV1LoadOptions,
  type ModelV1,
  NoSuchLoaderError,
  type Registry,
  throwIfAborted,
} from '@llmr/core';
import { HfError } from './hf-error';
import { formatHfSource, type HfSource, isHfSource, parseHfSource } from './hf-source';
import { type HfPullOptions, type HfPullProgress, type HfPullResult, pullHfModel } from './pull';

type PullSettings = Omit<HfPullOptions, 'onProgress' | 'abortSignal'>;

export interface HfLoadOptions extends LoaderV1LoadOptions, PullSettings {
  /** The registry whose format loaders load the downloaded files. */
  registry?: Registry;
  /** Per-file download progress (the `onProgress` option gets the overall bytes, stage `download`). */
  onDownloadProgress?: (progress: HfPullProgress) => void;
}

export interface HfLoaderSettings extends PullSettings {
  /** Format loaders are taken from this registry... */
  registry?: Registry;
  /** ...or from these loaders (a registry is made of them). */
  loaders?: LoaderV1[];
  /** Load options for every load (the format loader's too, e.g. `engine`). */
  defaults?: HfLoadOptions;
}

export interface HfLoader extends LoaderV1 {
  doLoad(source: string, options?: HfLoadOptions): Promise<ModelV1>;
  /** Downloads what a source needs without loading it (`llmr pull`). */
  pull(source: string | HfSource, options?: HfPullOptions): Promise<HfPullResult>;
}

const PULL_KEYS = [
  'endpoint',
  'cacheDir',
  'accessToken',
  'offline',
  'fetch',
  'maxConcurrentDownloads',
  'maxRetries',
  'maxRetryWaitMs',
  'retryDelayMs',
  'freeSpace',
  'onRetry',
] as const satisfies readonly (keyof PullSettings)[];

function defaultId(source: HfSource): string {
  return formatHfSource(source).replace(/^hf:/, '');
}

function formatLoaderHint(result: HfPullResult): string {
  switch (result.layout) {
    case 'gguf':
      return 'Install @llmr/loader-gguf and register its ggufLoader (createHfLoader({ loaders: [ggufLoader] }) or the registry load option).';
    case 'onnx':
      return 'Install @llmr/loader-onnx and register its onnxLoader (createHfLoader({ loaders: [onnxLoader] }) or the registry load option), with an engine such as @llmr/engine-node.';
    case 'safetensors':
      return 'llmr has no safetensors runtime loader yet: pick a GGUF or ONNX variant of this model (hf:org/repo-GGUF:Q4_K_M), or convert it with `llmr convert`.';
    default:
      return 'It is not a model file: name a .gguf or .onnx file, or the repo itself.';
  }
}

export function createHfLoader(settings: HfLoaderSettings = {}): HfLoader {
  let own: Registry | undefined;
  const registryFor = (options: HfLoadOptions, source: string, parsed: HfSource): Registry => {
    if (options.registry) return options.registry;
    if (settings.registry) return settings.registry;
    if (settings.loaders) {
      own ??= createRegistry({ loaders: settings.loaders });
      return own;
    }
    throw new HfError({
      code: 'hf-no-registry',
      source,
      repo: parsed.repo,
      message: `Cannot load ${source}: this hf loader has no registry to hand the downloaded files to. Create it with createHfLoader({ registry }) (the registry that holds @llmr/loader-gguf or @llmr/loader-onnx), or pass the \`registry\` load option.`,
    });
  };
  const pullSettings = (options: Record<string, unknown>): PullSettings =>
    Object.fromEntries(
      PULL_KEYS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]),
    ) as PullSettings;

  return {
    specificationVersion: 'v1',
    name: 'hf',

    async canLoad(source) {
      if (!isHfSource(source)) return { confidence: 0, reason: 'not an hf: source' };
      try {
        parseHfSource(source);
        return { confidence: 1, reason: 'an hf: source' };
      } catch (error) {
        // Still ours: loading it explains what is wrong with it.
        return { confidence: 0.5, reason: `a malformed hf: source (${(error as Error).message})` };
      }
    },

    pull(source, options = {}) {
      return pullHfModel(source, {
        ...pullSettings(settings as Record<string, unknown>),
        ...options,
      });
    },

    async doLoad(source, loadOptions: HfLoadOptions = {}): Promise<ModelV1> {
      const options: HfLoadOptions = { ...settings.defaults, ...loadOptions };
      const parsed = parseHfSource(source);
      const registry = registryFor(options, source, parsed);
      const pulled = await pullHfModel(parsed, {
        ...pullSettings(settings as Record<string, unknown>),
        ...pullSettings(options),
        abortSignal: options.abortSignal,
        onProgress: (progress) => {
          options.onDownloadProgress?.(progress);
          options.onProgress?.({
            loaded: progress.overall.loaded,
            total: progress.overall.total,
            stage: 'download',
          });
        },
      });
      throwIfAborted(options.abortSignal);

      const rest: Record<string, unknown> = { ...options };
      for (const key of [...PULL_KEYS, 'registry', 'onDownloadProgress']) delete rest[key];
      try {
        return await registry.load(pulled.localPath, {
          ...pulled.loadOptions,
          ...rest,
          id: options.id ?? defaultId(parsed),
        });
      } catch (error) {
        if (NoSuchLoaderError.isInstance(error)) {
          throw new HfError({
            code: 'hf-no-format-loader',
            source,
            repo: parsed.repo,
            cause: error,
            message: `Pulled ${source} (${pulled.description}) to ${pulled.localPath}, but no loader in the registry can load it (${error.tried.length ? `asked: ${error.tried.join(', ')}` : 'the registry has no loaders'}). ${formatLoaderHint(pulled)}`,
          });
        }
        throw error;
      }
    },
  };
}

/**
 * The default instance, for pulls, and for loads given the `registry` load option (a
 * load without one fails with `hf-no-registry`).
 */
export const hfLoader: HfLoader = createHfLoader();
