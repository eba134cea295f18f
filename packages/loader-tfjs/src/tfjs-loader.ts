/**
 * The LoaderV1 for TF.js model folders: a graph model (`model.json` + shards) with
 * config.json and tokenizer.json beside it, from a directory, an http(s) URL or bytes. A
 * decoder with the ONNX export's KV-cache inputs and outputs generates text through
 * @llmr/decoder's loop; an encoder (`last_hidden_state` out) serves embeddings.
 */
import {
  InvalidArgumentError,
  LlmrError,
  LoadError,
  type LoaderV1,
  type LoaderV1LoadOptions,
  type ModelV1,
  throwIfAborted,
} from '@llmr/core';
import { createDecoderModel, loadModelTokenizer } from '@llmr/decoder';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { instantiateTfjsModel } from './load-tfjs-model';
import {
  DEFAULT_TFJS_LIMITS,
  readTfjsArtifactsFrom,
  type TfjsLimits,
  type TfjsModelBytes,
  tfjsFilesFor,
} from './tfjs-artifacts';
import { createTfjsEmbeddingModel } from './tfjs-embedding-model';
import { isHttpSource, type TfjsFiles } from './tfjs-files';
import { createTfjsSession } from './tfjs-session';

export interface TfjsLoadOptions extends LoaderV1LoadOptions {
  /**
   * The tfjs-core backend: `cpu` (default), `wasm` (imports @tensorflow/tfjs-backend-wasm), or
   * one the application registered (`tensorflow` from @tensorflow/tfjs-node).
   */
  backend?: string;
  limits?: Partial<TfjsLimits>;
  /** The model as bytes (model.json, shards, and config.json / tokenizer.json in `files`). */
  bytes?: TfjsModelBytes;
  /** fetch for http(s) sources. */
  fetch?: typeof fetch;
  /** Batch concurrent requests' decode steps into one run. Default true. */
  batching?: boolean;
  maxBatchSize?: number;
}

async function readJson(
  files: TfjsFiles,
  name: string,
  required: boolean,
  maxBytes: number,
): Promise<Record<string, unknown> | undefined> {
  const bytes = await files.read(name, maxBytes + 1);
  if (!bytes) {
    if (!required) return undefined;
    throw new LoadError({
      source: files.source,
      code: 'tfjs-missing-file',
      message: `${files.source} has no ${name}: a TF.js model folder for llmr needs model.json, its shards, config.json and tokenizer.json.`,
    });
  }
  if (bytes.byteLength > maxBytes)
    throw new LoadError({
      source: files.source,
      code: 'tfjs-limit-exceeded',
      message: `${files.source}/${name} is over ${maxBytes} bytes (maxManifestBytes).`,
    });
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new LoadError({
      source: files.source,
      code: 'tfjs-invalid-json',
      message: `${files.source}/${name} is not a valid JSON object: ${(error as Error).message}`,
      cause: error,
    });
  }
}

/** Maps the CLI's `--engine` (tfjs-cpu, wasm, ...) onto a backend name. */
function backendOf(options: TfjsLoadOptions): string {
  const name = options.backend ?? (options.engineName as string | undefined) ?? 'cpu';
  return name.replace(/^tfjs-/, '');
}

async function registerBackend(backend: string) {
  if (backend !== 'wasm') return;
  try {
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new LlmrError({
      code: 'tfjs-runtime-missing',
      message:
        'The TF.js wasm backend needs @tensorflow/tfjs-backend-wasm: npm install @tensorflow/tfjs-backend-wasm.',
      cause: error,
    });
  }
}

/** Loads a TF.js model folder (path, URL or bytes) as an llmr ModelV1. */
export async function loadTfjsModelV1(
  source: string | TfjsModelBytes,
  options: TfjsLoadOptions = {},
): Promise<ModelV1> {
  throwIfAborted(options.abortSignal);
  const limits = { ...DEFAULT_TFJS_LIMITS, ...options.limits };
  const { files, manifestPath } = await tfjsFilesFor(options.bytes ?? source, options.fetch);
  options.onProgress?.({ loaded: 0, stage: 'config' });
  const config = (await readJson(files, 'config.json', true, limits.maxManifestBytes))!;
  const tokenizerJson = (await readJson(files, 'tokenizer.json', true, limits.maxManifestBytes))!;
  const tokenizerConfig = await readJson(
    files,
    'tokenizer_config.json',
    false,
    limits.maxManifestBytes,
  );
  const generationConfig = await readJson(
    files,
    'generation_config.json',
    false,
    limits.maxManifestBytes,
  );
  const tokenizer = loadModelTokenizer(files.source, tokenizerJson, tokenizerConfig, 'tfjs');
  options.onProgress?.({ loaded: 0, stage: isHttpSource(files.source) ? 'download' : 'weights' });
  const artifacts = await readTfjsArtifactsFrom(files, manifestPath, limits);
  throwIfAborted(options.abortSignal);
  if (artifacts.format !== 'graph-model')
    throw new LoadError({
      source: files.source,
      code: 'tfjs-unsupported-model',
      message: `${files.source} is a TF.js layers model; llmr generates text and embeddings from graph models (convert one with \`llmr convert <hf dir> --to tfjs\`).`,
    });
  const backend = backendOf(options);
  await registerBackend(backend);
  options.onProgress?.({ loaded: 0, stage: 'session' });
  const loaded = await instantiateTfjsModel(artifacts, backend);
  const tf = await import('@tensorflow/tfjs-core');
  const session = createTfjsSession(tf, loaded.model as GraphModel, backend);
  const id =
    options.id ??
    (typeof source === 'string'
      ? source
          .replace(/\/model\.json$/, '')
          .replace(/[\\/]+$/, '')
          .split(/[\\/]/)
          .at(-1)
      : source.name?.replace(/\.json$/, '')) ??
    'tfjs-model';
  try {
    const inputs = new Set(session.inputNames);
    let model: ModelV1;
    if (inputs.has('input_ids') && session.inputNames.some((name) => name.startsWith('past_'))) {
      model = createDecoderModel({
        id,
        format: 'tfjs',
        runtime: '@llmr/loader-tfjs',
        config,
        ...(generationConfig ? { generationConfig } : {}),
        tokenizer,
        tokenizerJson,
        session,
        engineName: `tfjs-${backend}`,
        fileName: manifestPath,
        ...(options.contextLength !== undefined ? { contextLength: options.contextLength } : {}),
        ...(typeof artifacts.userDefinedMetadata?.['llmr.dtype'] === 'string'
          ? { quantization: artifacts.userDefinedMetadata['llmr.dtype'] as string }
          : {}),
        ...(options.batching !== undefined ? { batching: options.batching } : {}),
        ...(options.maxBatchSize !== undefined ? { maxBatchSize: options.maxBatchSize } : {}),
      });
    } else if (inputs.has('input_ids') && session.outputNames.includes('last_hidden_state')) {
      const pooling = await readJson(
        files,
        '1_Pooling/config.json',
        false,
        limits.maxManifestBytes,
      );
      const modules = await files.read('modules.json', limits.maxManifestBytes);
      model = createTfjsEmbeddingModel({
        id,
        config,
        tokenizer,
        session,
        ...(pooling ? { pooling } : {}),
        ...(modules ? { normalize: new TextDecoder().decode(modules).includes('Normalize') } : {}),
      });
    } else {
      throw new LoadError({
        source: files.source,
        code: 'tfjs-unsupported-graph',
        message: `${files.source}/${manifestPath} is neither a decoder (inputs input_ids and past_key_values.{i}.key/value, outputs logits and present.{i}.key/value) nor an encoder (input_ids in, last_hidden_state out); its inputs are ${session.inputNames.join(', ')}.`,
      });
    }
    options.onProgress?.({ loaded: 1, total: 1, stage: 'ready' });
    return model;
  } catch (error) {
    await session.release();
    throw error;
  }
}

async function confidenceFor(source: string): Promise<{ confidence: number; reason: string }> {
  const no = (reason: string) => ({ confidence: 0, reason });
  if (typeof source !== 'string' || source.length === 0) return no('empty source');
  if (isHttpSource(source))
    return /\/model\.json$/.test(new URL(source).pathname)
      ? { confidence: 0.6, reason: 'an http(s) URL of a model.json' }
      : no('an http(s) URL that does not name model.json');
  if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !source.startsWith('file:'))
    return no('not a path, file: or http(s): source');
  let fs: typeof import('node:fs/promises');
  let path: typeof import('node:path');
  try {
    fs = await import('node:fs/promises');
    path = await import('node:path');
  } catch {
    return no('no file system here');
  }
  const local = source.startsWith('file:')
    ? (await import('node:url')).fileURLToPath(source)
    : source;
  const info = await fs.stat(local).catch(() => undefined);
  if (!info) return no('no such file or directory');
  const dir = info.isDirectory() ? local : path.dirname(local);
  const manifest = info.isDirectory() ? path.join(local, 'model.json') : local;
  if (!manifest.endsWith('.json')) return no('not a model.json');
  const has = (name: string) =>
    fs.stat(path.join(dir, name)).then(
      () => true,
      () => false,
    );
  if (!(await has(path.basename(manifest)))) return no('no model.json');
  if (!(await has('tokenizer.json'))) return no('model.json but no tokenizer.json beside it');
  // Read only the head: a graph model names its format and topology early.
  const handle = await fs.open(manifest, 'r');
  try {
    const head = new Uint8Array(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const text = new TextDecoder().decode(head.subarray(0, bytesRead));
    if (!/"(modelTopology|weightsManifest|format)"/.test(text))
      return no('model.json is not a TF.js model');
  } finally {
    await handle.close();
  }
  return { confidence: 0.95, reason: 'model.json (TF.js) with tokenizer.json beside it' };
}

export function createTfjsLoader(defaults: TfjsLoadOptions = {}): LoaderV1 {
  return {
    specificationVersion: 'v1',
    name: 'tfjs',
    canLoad: confidenceFor,
    async doLoad(source, options = {}) {
      const merged = { ...defaults, ...options } as TfjsLoadOptions;
      const backend = backendOf(merged);
      if (!['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'].includes(backend))
        throw new InvalidArgumentError({
          argument: 'backend',
          value: backend,
          message: `TF.js backend "${backend}" is unknown; use cpu, wasm, or a backend the application registered (tensorflow, webgl, webgpu).`,
        });
      return loadTfjsModelV1(source, merged);
    },
  };
}

/** The default TF.js loader: cpu backend unless `backend` (or `engineName`) says otherwise. */
export const tfjsLoader: LoaderV1 = createTfjsLoader();
