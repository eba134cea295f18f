/**
 * The LoaderV1 for ONNX decoder directories in the transformers.js / Optimum layout:
 * config.json, tokenizer.json (+ tokenizer_config.json, generation_config.json) and
 * onnx/model*.onnx (or the .onnx at the top, as Optimum's CLI writes it). It never imports
 * an engine: the caller passes one (`engine`) or several to choose from (`engines`).
 */
import {
  type EngineV1,
  InvalidArgumentError,
  LlmrError,
  LoadError,
  type LoaderV1,
  type LoaderV1LoadOptions,
  normalizeOnnxDtype,
  ONNX_DTYPE_FILES,
  throwIfAborted,
} from '@llmr/core';
import { loadModelTokenizer } from '@llmr/decoder';
import { selectOnnxEngine } from './engine-selection';
import {
  httpFiles,
  isForeignScheme,
  isHttpSource,
  localFiles,
  localPathOf,
  type ModelFiles,
} from './model-files';
import { createOnnxModel, type OnnxModel } from './onnx-model';

const OLDER_NAMES = ['decoder_model_merged.onnx', 'decoder_with_past_model.onnx'];

export interface OnnxLoadOptions extends LoaderV1LoadOptions {
  /** The engine that runs the graph (e.g. `nodeEngine` from @llmr/engine-node). */
  engine?: EngineV1;
  /** Engines to choose from when `engine` is not given: the best available one wins. */
  engines?: EngineV1[];
  /** Which precision to load: fp32, fp16, q8, q4, int8, uint8, q4f16, bnb4 (transformers.js names). */
  dtype?: string;
  /** A model file inside onnx/ (or the directory) to load, instead of choosing by dtype. */
  fileName?: string;
  /** Where the KV cache stays between steps. `auto`: on the GPU for GPU engines. */
  kvCache?: 'auto' | 'cpu' | 'gpu-buffer';
  /** Batch concurrent requests' decode steps. Default true (CPU KV cache only). */
  batching?: boolean;
  maxBatchSize?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * ONNX Runtime execution provider for the session: `cpu` (default), `cuda`, `webgpu`.
   * An engine whose runtime lacks it refuses with `execution-provider-unavailable`.
   */
  executionProvider?: 'cpu' | 'cuda' | 'webgpu' | (string & {});
  /** Extra ONNX Runtime session options. */
  sessionOptions?: Record<string, unknown>;
  /** Read the model from here instead of the source (custom storage, memory). */
  files?: ModelFiles;
  /** fetch for http(s) sources. */
  fetch?: typeof fetch;
}

async function confidenceFor(source: string): Promise<{ confidence: number; reason: string }> {
  const no = (reason: string) => ({ confidence: 0, reason });
  if (typeof source !== 'string' || source.length === 0) return no('empty source');
  if (isHttpSource(source))
    return {
      confidence: 0.3,
      reason:
        'an http(s) URL: an ONNX model directory if it serves config.json and onnx/model.onnx',
    };
  if (isForeignScheme(source)) return no('not a path, file: or http(s): source');
  let fs: typeof import('node:fs/promises');
  let path: typeof import('node:path');
  try {
    fs = await import('node:fs/promises');
    path = await import('node:path');
  } catch {
    return no('no file system here');
  }
  const local = await localPathOf(source);
  const info = await fs.stat(local).catch(() => undefined);
  if (!info) return no('no such file or directory');
  if (info.isFile()) {
    return local.endsWith('.onnx')
      ? { confidence: 0.9, reason: 'an .onnx file' }
      : no('not an .onnx file');
  }
  const has = (name: string) =>
    fs.stat(path.join(local, name)).then(
      () => true,
      () => false,
    );
  if (!(await has('config.json'))) return no('no config.json');
  const inOnnx = (await fs.readdir(path.join(local, 'onnx')).catch(() => [] as string[])).some(
    (name) => name.endsWith('.onnx'),
  );
  const atTop = (await fs.readdir(local)).some((name) => name.endsWith('.onnx'));
  if (inOnnx || atTop)
    return { confidence: 0.95, reason: `config.json and ${inOnnx ? 'onnx/' : ''}*.onnx` };
  return no('config.json but no .onnx file');
}

async function readJson(files: ModelFiles, name: string, required: boolean) {
  const bytes = await files.read(name);
  if (!bytes) {
    if (!required) return undefined;
    throw new LoadError({
      source: files.source,
      code: 'onnx-missing-file',
      message: `${files.source} has no ${name}: an ONNX model directory needs config.json, tokenizer.json and onnx/model.onnx.`,
    });
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch (error) {
    throw new LoadError({
      source: files.source,
      code: 'onnx-invalid-json',
      message: `${files.source}/${name} is not valid JSON: ${(error as Error).message}`,
      cause: error,
    });
  }
}

async function chooseModelFile(
  files: ModelFiles,
  config: Record<string, unknown>,
  options: OnnxLoadOptions,
): Promise<{ path: string; quantization?: string }> {
  const shipped = (config['transformers.js_config'] as { dtype?: unknown } | undefined)?.dtype;
  const names: string[] = [];
  if (options.fileName) names.push(options.fileName);
  else if (options.dtype) {
    const dtype = normalizeOnnxDtype(options.dtype);
    if (!dtype) {
      throw new InvalidArgumentError({
        argument: 'dtype',
        value: options.dtype,
        message: `dtype must be one of ${Object.keys(ONNX_DTYPE_FILES).join(', ')}; got "${options.dtype}".`,
      });
    }
    names.push(ONNX_DTYPE_FILES[dtype]!);
    // llmr's converter writes every dtype as model.onnx and says which in config.json.
    if (typeof shipped === 'string' && normalizeOnnxDtype(shipped) === dtype)
      names.push('model.onnx');
  } else names.push(...Object.values(ONNX_DTYPE_FILES), ...OLDER_NAMES);
  for (const name of names) {
    for (const path of [`onnx/${name}`, name]) {
      if (await files.exists(path)) {
        const suffix = Object.entries(ONNX_DTYPE_FILES).find(([, file]) => file === name)?.[0];
        const quantization =
          name === 'model.onnx' && typeof shipped === 'string' ? shipped : suffix;
        return { path, ...(quantization ? { quantization } : {}) };
      }
    }
  }
  const listed = (await files.list?.('onnx'))?.find((name) => name.endsWith('.onnx'));
  if (listed && !options.fileName && !options.dtype) return { path: `onnx/${listed}` };
  throw new LoadError({
    source: files.source,
    code: 'onnx-missing-file',
    message: `${files.source} has no ${names.length === 1 ? names[0] : 'ONNX model file'} (looked in onnx/ and at the top: ${names.join(', ')}).`,
  });
}

/** Loads an ONNX decoder model from files (the shared path of every source). */
export async function loadOnnxModel(
  files: ModelFiles,
  options: OnnxLoadOptions = {},
): Promise<OnnxModel & { engineExplanation: string }> {
  throwIfAborted(options.abortSignal);
  let engine = options.engine;
  let engineExplanation = engine ? `${engine.name} (passed in)` : '';
  if (!engine && options.engines?.length) {
    const selection = await selectOnnxEngine(options.engines);
    engine = selection.engine;
    engineExplanation = selection.explanation;
  }
  if (!engine) {
    throw new InvalidArgumentError({
      argument: 'engine',
      message:
        '@llmr/loader-onnx needs an engine to run the graph: pass `engine` (nodeEngine from @llmr/engine-node, wasmEngine from @llmr/engine-wasm, webGpuEngine from @llmr/engine-webgpu) or `engines` to choose from.',
    });
  }
  options.onProgress?.({ loaded: 0, stage: 'config' });
  const config = (await readJson(files, 'config.json', true))!;
  const tokenizerJson = (await readJson(files, 'tokenizer.json', true))!;
  const tokenizerConfig = await readJson(files, 'tokenizer_config.json', false);
  const generationConfig = await readJson(files, 'generation_config.json', false);
  const tokenizer = loadModelTokenizer(files.source, tokenizerJson, tokenizerConfig, 'onnx');
  const file = await chooseModelFile(files, config, options);
  throwIfAborted(options.abortSignal);
  const device = engine.capabilities.device;
  const kvCache =
    options.kvCache === 'auto' || options.kvCache === undefined
      ? device === 'gpu'
        ? 'gpu-buffer'
        : 'cpu'
      : options.kvCache;
  const layers = typeof config.num_hidden_layers === 'number' ? config.num_hidden_layers : 0;
  const preferredOutputLocation: Record<string, 'gpu-buffer'> = {};
  if (kvCache === 'gpu-buffer') {
    for (let layer = 0; layer < layers; layer++) {
      preferredOutputLocation[`present.${layer}.key`] = 'gpu-buffer';
      preferredOutputLocation[`present.${layer}.value`] = 'gpu-buffer';
    }
  }
  const sessionOptions: Record<string, unknown> = { ...options.sessionOptions };
  let model: Uint8Array | string;
  const local = files.localPath?.(file.path);
  if (local) model = local;
  else {
    options.onProgress?.({ loaded: 0, stage: 'download' });
    model = (await files.read(file.path))!;
    const externalName = `${file.path}_data`;
    const external = (await files.exists(externalName))
      ? await files.read(externalName)
      : undefined;
    if (external)
      sessionOptions.externalData = [{ path: externalName.split('/').at(-1), data: external }];
  }
  options.onProgress?.({ loaded: 0, stage: 'session' });
  let session: Awaited<ReturnType<EngineV1['createSession']>>;
  try {
    session = await engine.createSession(model, {
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.graphOptimizationLevel
        ? { graphOptimizationLevel: options.graphOptimizationLevel }
        : {}),
      ...(kvCache === 'gpu-buffer' ? { preferredOutputLocation } : {}),
      ...(options.executionProvider !== undefined
        ? { executionProvider: options.executionProvider }
        : {}),
      ...sessionOptions,
    });
  } catch (error) {
    if (LoadError.isInstance(error)) throw error;
    // A missing provider is the engine's clear error already (and not the model's fault).
    if (LlmrError.isInstance(error) && error.code === 'execution-provider-unavailable') throw error;
    throw new LoadError({
      source: files.source,
      code: 'onnx-session-failed',
      message: `${engine.name} could not open ${file.path}: ${(error as Error).message}`,
      cause: error,
    });
  }
  try {
    const id =
      options.id ??
      files.source
        .replace(/[\\/]+$/, '')
        .split(/[\\/]/)
        .at(-1) ??
      'onnx-model';
    const created = createOnnxModel({
      id,
      config,
      generationConfig,
      tokenizer,
      tokenizerJson,
      session,
      engineName: engine.name,
      fileName: file.path,
      contextLength: options.contextLength,
      quantization: file.quantization,
      batching: options.batching,
      maxBatchSize: options.maxBatchSize,
      kvCacheLocation: kvCache,
    });
    options.onProgress?.({ loaded: 1, total: 1, stage: 'ready' });
    return Object.assign(created, { engineExplanation });
  } catch (error) {
    await session.release();
    throw error;
  }
}

/** Resolves a source (path, file:, http(s): URL, or a path to an .onnx file) to its files. */
async function filesFor(
  source: string,
  options: OnnxLoadOptions,
): Promise<ModelFiles & { fileName?: string }> {
  if (options.files) return options.files;
  if (isHttpSource(source)) {
    const onnxFile = /\/([^/]+\.onnx)$/.exec(source);
    if (onnxFile) {
      const base = source.slice(0, source.length - onnxFile[1]!.length).replace(/onnx\/$/, '');
      return { ...httpFiles(base, options.fetch), fileName: onnxFile[1] };
    }
    return httpFiles(source, options.fetch);
  }
  if (isForeignScheme(source)) {
    throw new LoadError({
      source,
      code: 'onnx-unsupported-source',
      message: `@llmr/loader-onnx loads paths, file: and http(s): URLs; "${source}" is none (hf: sources go through @llmr/loader-hf).`,
    });
  }
  const local = await localPathOf(source);
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const info = await fs.stat(local).catch(() => undefined);
  if (!info) {
    throw new LoadError({
      source,
      code: 'onnx-not-found',
      message: `${local} does not exist: pass an ONNX model directory (config.json, tokenizer.json, onnx/model.onnx).`,
    });
  }
  if (info.isFile()) {
    const folder = path.dirname(local);
    const root = path.basename(folder) === 'onnx' ? path.dirname(folder) : folder;
    return { ...(await localFiles(root)), fileName: path.basename(local) };
  }
  return localFiles(local);
}

export function createOnnxLoader(defaults: OnnxLoadOptions = {}): LoaderV1 {
  return {
    specificationVersion: 'v1',
    name: 'onnx',
    canLoad: confidenceFor,
    async doLoad(source, options = {}) {
      const merged: OnnxLoadOptions = { ...defaults, ...options };
      const files = await filesFor(source, merged);
      const fileName = merged.fileName ?? files.fileName;
      return loadOnnxModel(files, { ...merged, ...(fileName ? { fileName } : {}) });
    },
  };
}

/** The default loader: pass `engine` (or `engines`) in the load options. */
export const onnxLoader: LoaderV1 = createOnnxLoader();
