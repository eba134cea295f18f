/**
 * A TF.js model as `tfjs-converter` and `tf.io` write it — `model.json` (format, topology and a
 * weights manifest of shard groups) plus binary shards — read and checked before any TF.js
 * code sees it: the manifest's size is bounded, every shard path stays inside the model's
 * directory, every weight's dtype and shape give a size, and each group's shards add up to
 * exactly what its weights declare. The result is TF.js's own `ModelArtifacts` shape.
 */
import { LlmrError } from '@llmr/core';
import {
  httpTfjsFiles,
  isHttpSource,
  localTfjsFiles,
  memoryTfjsFiles,
  type TfjsFiles,
} from './tfjs-files';

export interface TfjsLimits {
  /** Largest `model.json` read (default 128 MiB: graph models carry their topology there). */
  maxManifestBytes: number;
  /** Largest total of weight bytes (default 4 GiB; shards are held in memory). */
  maxWeightBytes: number;
  /** Most weight entries in the manifest (default 100,000). */
  maxWeights: number;
}

export const DEFAULT_TFJS_LIMITS: TfjsLimits = {
  maxManifestBytes: 128 * 1024 * 1024,
  maxWeightBytes: 4 * 1024 * 1024 * 1024,
  maxWeights: 100_000,
};

/** A model given as bytes: the manifest and its shards by the paths the manifest names. */
export interface TfjsModelBytes {
  modelJson: Uint8Array | string;
  shards: Record<string, Uint8Array>;
  /** Files beside model.json (config.json, tokenizer.json, ...) by name. */
  files?: Record<string, Uint8Array | string>;
  /** Named in errors (default "model.json"). */
  name?: string;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

/** TF.js's `ModelArtifacts`, with the format checked. */
export interface TfjsArtifacts {
  format: 'graph-model' | 'layers-model';
  modelTopology: Record<string, unknown>;
  weightSpecs: TfjsWeightSpec[];
  weightData: ArrayBuffer;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: Record<string, unknown>;
  trainingConfig?: Record<string, unknown>;
}

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1 } as const;
const QUANTIZED_BYTES = { uint8: 1, uint16: 2, float16: 2 } as const;

function invalid(source: string, message: string, code = 'tfjs-invalid-manifest'): LlmrError {
  return new LlmrError({ code, message: `${source}: ${message}` });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function weightBytes(source: string, weight: unknown, index: number): [TfjsWeightSpec, number] {
  if (!isRecord(weight) || typeof weight.name !== 'string')
    throw invalid(source, `weight ${index} has no name.`);
  const { name, shape, dtype, quantization } = weight;
  if (
    !Array.isArray(shape) ||
    !shape.every((size) => Number.isSafeInteger(size) && (size as number) >= 0)
  )
    throw invalid(
      source,
      `weight "${name}" has shape ${JSON.stringify(shape)}; sizes must be whole numbers >= 0.`,
    );
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype))
    throw invalid(
      source,
      `weight "${name}" has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}.`,
    );
  const count = (shape as number[]).reduce((product, size) => product * size, 1);
  if (!Number.isSafeInteger(count))
    throw invalid(
      source,
      `weight "${name}" has ${count} elements, too many to address.`,
      'tfjs-limit-exceeded',
    );
  let bytes: number = DTYPE_BYTES[dtype as keyof typeof DTYPE_BYTES];
  if (quantization !== undefined) {
    if (!isRecord(quantization) || !Object.hasOwn(QUANTIZED_BYTES, String(quantization.dtype)))
      throw invalid(
        source,
        `weight "${name}" has quantization ${JSON.stringify(quantization)}; supported: uint8, uint16, float16.`,
      );
    bytes = QUANTIZED_BYTES[quantization.dtype as keyof typeof QUANTIZED_BYTES];
  }
  return [weight as unknown as TfjsWeightSpec, count * bytes];
}

/**
 * A shard path the manifest names, refused unless it stays inside the model's folder.
 * Resolved by hand (not node:path) so the same check holds for URLs and bytes in browsers.
 */
function shardPath(source: string, path: unknown): string {
  if (typeof path !== 'string' || path === '')
    throw invalid(source, `a shard path is ${JSON.stringify(path)}, not a file name.`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw invalid(source, `shard path "${path}" is not valid URL encoding.`);
  }
  const unsafe = () =>
    invalid(
      source,
      `shard path "${path}" leaves the model's directory; shards must sit beside model.json.`,
      'tfjs-unsafe-path',
    );
  if (/^[a-z]+:/i.test(decoded) || /^[\\/]/.test(decoded)) throw unsafe();
  const parts: string[] = [];
  for (const part of decoded.split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw unsafe();
      parts.pop();
    } else parts.push(part);
  }
  if (parts.length === 0) throw invalid(source, `shard path "${path}" names no file.`);
  return parts.join('/');
}

/**
 * Checks a parsed manifest and joins its shards (read by `readShard`, each at most `maxBytes`)
 * into TF.js model artifacts.
 */
export async function tfjsArtifacts(
  source: string,
  manifest: unknown,
  readShard: (path: string, maxBytes: number) => Promise<Uint8Array>,
  limits: TfjsLimits,
): Promise<TfjsArtifacts> {
  if (!isRecord(manifest)) throw invalid(source, 'model.json is not a JSON object.');
  const format =
    manifest.format ??
    (isRecord(manifest.modelTopology) && 'node' in manifest.modelTopology
      ? 'graph-model'
      : 'layers-model');
  if (format !== 'graph-model' && format !== 'layers-model')
    throw invalid(
      source,
      `format ${JSON.stringify(manifest.format)} is neither "graph-model" nor "layers-model".`,
    );
  if (!isRecord(manifest.modelTopology))
    throw invalid(source, 'modelTopology is missing; is this a TF.js model.json?');
  const groups = manifest.weightsManifest ?? [];
  if (!Array.isArray(groups))
    throw invalid(source, 'weightsManifest is not a list of shard groups.');

  const weightSpecs: TfjsWeightSpec[] = [];
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const [groupIndex, group] of groups.entries()) {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw invalid(source, `weightsManifest[${groupIndex}] needs "paths" and "weights" lists.`);
    let declared = 0;
    for (const weight of group.weights) {
      if (weightSpecs.length >= limits.maxWeights)
        throw invalid(
          source,
          `more than ${limits.maxWeights} weights (maxWeights).`,
          'tfjs-limit-exceeded',
        );
      const [spec, bytes] = weightBytes(source, weight, weightSpecs.length);
      weightSpecs.push(spec);
      declared += bytes;
    }
    if (total + declared > limits.maxWeightBytes)
      throw invalid(
        source,
        `weights declare more than ${limits.maxWeightBytes} bytes (maxWeightBytes).`,
        'tfjs-limit-exceeded',
      );
    let read = 0;
    for (const path of group.paths) {
      const shard = await readShard(shardPath(source, path), declared - read + 1);
      read += shard.byteLength;
      if (read > declared) break;
      parts.push(shard);
    }
    if (read !== declared)
      throw invalid(
        source,
        `weightsManifest[${groupIndex}]: its weights declare ${declared} bytes but its shards (${group.paths.join(', ')}) hold ${read > declared ? 'more' : read}; the model is truncated or its manifest does not match its shards.`,
        'tfjs-shard-size-mismatch',
      );
    total += declared;
  }
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    weightData.set(part, offset);
    offset += part.byteLength;
  }
  const optional = (key: string) => (isRecord(manifest[key]) ? { [key]: manifest[key] } : {});
  return {
    format,
    modelTopology: manifest.modelTopology,
    weightSpecs,
    weightData: weightData.buffer,
    ...(typeof manifest.generatedBy === 'string' ? { generatedBy: manifest.generatedBy } : {}),
    ...(typeof manifest.convertedBy === 'string' ? { convertedBy: manifest.convertedBy } : {}),
    ...optional('signature'),
    ...optional('userDefinedMetadata'),
    ...optional('modelInitializer'),
    ...optional('trainingConfig'),
  };
}

function parseManifest(source: string, bytes: Uint8Array | string, limits: TfjsLimits): unknown {
  const length = typeof bytes === 'string' ? bytes.length : bytes.byteLength;
  if (length > limits.maxManifestBytes)
    throw invalid(
      source,
      `model.json is over maxManifestBytes (${limits.maxManifestBytes}).`,
      'tfjs-limit-exceeded',
    );
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (error) {
    throw invalid(source, `model.json is not valid JSON (${(error as Error).message}).`);
  }
}

/** Reads and checks the manifest `manifestPath` and its shards from `files`. */
export async function readTfjsArtifactsFrom(
  files: TfjsFiles,
  manifestPath = 'model.json',
  limits: Partial<TfjsLimits> = {},
): Promise<TfjsArtifacts> {
  const bounds = { ...DEFAULT_TFJS_LIMITS, ...limits };
  const name = isHttpSource(files.source)
    ? new URL(manifestPath, files.source).href
    : files.source.endsWith('.json')
      ? files.source
      : `${files.source.replace(/[\\/]+$/, '')}/${manifestPath}`;
  // One byte past the limit tells "too large" without reading the rest.
  const bytes = await files.read(manifestPath, bounds.maxManifestBytes + 1);
  if (!bytes) throw invalid(name, `no ${manifestPath} here.`, 'tfjs-not-found');
  return tfjsArtifacts(
    name,
    parseManifest(name, bytes, bounds),
    async (path, maxBytes) => {
      const shard = await files.read(path, maxBytes);
      if (!shard) throw invalid(name, `shard "${path}" is missing.`, 'tfjs-missing-shard');
      return shard;
    },
    bounds,
  );
}

/**
 * Resolves a source to its files and the manifest's name among them: a directory or a
 * `model.json` path (or `file:` URL), an http(s) URL of the folder or of model.json, or bytes.
 */
export async function tfjsFilesFor(
  source: string | TfjsModelBytes,
  fetchImpl?: typeof fetch,
): Promise<{ files: TfjsFiles; manifestPath: string }> {
  if (typeof source !== 'string') {
    const manifestPath = 'model.json';
    return {
      files: memoryTfjsFiles(
        { ...source.files, ...source.shards, [manifestPath]: source.modelJson },
        source.name ?? manifestPath,
      ),
      manifestPath,
    };
  }
  if (isHttpSource(source)) {
    const url = new URL(source);
    const fileName = /\/([^/]+\.json)$/.exec(url.pathname)?.[1];
    if (!fileName) return { files: httpTfjsFiles(url.href, fetchImpl), manifestPath: 'model.json' };
    return {
      files: httpTfjsFiles(new URL('.', url).href, fetchImpl),
      manifestPath: fileName,
    };
  }
  const { stat } = await import('node:fs/promises');
  const { basename, dirname } = await import('node:path');
  const local = source.startsWith('file:')
    ? (await import('node:url')).fileURLToPath(source)
    : source;
  const info = await stat(local).catch(() => undefined);
  if (!info) throw invalid(local, 'no such file or directory.', 'tfjs-not-found');
  if (info.isDirectory()) return { files: await localTfjsFiles(local), manifestPath: 'model.json' };
  return { files: await localTfjsFiles(dirname(local)), manifestPath: basename(local) };
}

/**
 * Reads a TF.js model from `model.json` (or the directory holding it), an http(s) URL of
 * either, or bytes; every read is bounded by `limits`.
 */
export async function readTfjsArtifacts(
  source: string | TfjsModelBytes,
  limits: Partial<TfjsLimits> = {},
  options: { fetch?: typeof fetch } = {},
): Promise<TfjsArtifacts> {
  const { files, manifestPath } = await tfjsFilesFor(source, options.fetch);
  return readTfjsArtifactsFrom(files, manifestPath, limits);
}
