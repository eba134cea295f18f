/**
 * Sharded checkpoints: `model.safetensors.index.json` (`{ metadata, weight_map: { tensor: shard } }`)
 * and its shard files, opened as one lazy tensor reader. Also opens a plain file or a model
 * directory, whichever it is given, so callers need not care how a model was saved.
 */
import { type ByteSource, type ByteSourceInput, toByteSource } from '@llmr/binary-io';
import { LoadError } from '@llmr/core';
import { safetensorsError } from './safetensors-error';
import { describeJson, type SafetensorsTensorInfo } from './safetensors-header';
import { resolveSafetensorsLimits, type SafetensorsLimits } from './safetensors-limits';
import {
  createTensorReader,
  openSafetensors,
  type ReadSafetensorsOptions,
  type SafetensorsFile,
  type SafetensorsTensorReader,
} from './safetensors-reader';

/** The conventional names Hugging Face uses. */
export const SAFETENSORS_SINGLE_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

export interface SafetensorsIndex {
  /** The index's `metadata` (usually `{ total_size }`). */
  metadata: Record<string, unknown>;
  /** Tensor name to shard file name, in index order. */
  weightMap: Map<string, string>;
  /** Shard file names, in order of first appearance. */
  shards: string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function indexError(message: string, cause?: unknown) {
  return safetensorsError('safetensors-invalid-index', message, undefined, cause);
}

/** Shard names must be plain file names beside the index: no paths, no `..`. */
function checkShardName(tensor: string, shard: unknown): string {
  if (typeof shard !== 'string' || shard.length === 0 || shard.length > 255) {
    throw indexError(
      `weight_map["${tensor.slice(0, 200)}"] should be a shard file name, not ${describeJson(shard)}.`,
    );
  }
  // No separators, dot segments, drive letters, control characters, or URL syntax (`%2e%2e`
  // is a dot segment to a URL parser; `?` and `#` would change what a URL names).
  if (
    shard === '.' ||
    shard === '..' ||
    /[/\\%?#]/.test(shard) ||
    [...shard].some((character) => character.charCodeAt(0) < 0x20) ||
    /^[a-zA-Z]:/.test(shard)
  ) {
    throw indexError(
      `weight_map["${tensor.slice(0, 200)}"] names "${shard.slice(0, 60)}", which is not a plain file name beside the index; refusing to leave its directory.`,
    );
  }
  return shard;
}

/** Parses and validates `model.safetensors.index.json` (text, bytes or parsed JSON). */
export function parseSafetensorsIndex(
  input: string | Uint8Array | unknown,
  options: { limits?: Partial<SafetensorsLimits> } = {},
): SafetensorsIndex {
  const limits = resolveSafetensorsLimits(options.limits);
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const size = typeof input === 'string' ? input.length : input.byteLength;
    if (size > limits.maxIndexSize) {
      throw safetensorsError(
        'safetensors-limit-exceeded',
        `The index is ${size} bytes, above maxIndexSize (${limits.maxIndexSize}).`,
      );
    }
    let text: string;
    try {
      text =
        typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
      value = JSON.parse(text);
    } catch (error) {
      throw indexError(
        `The index is not valid UTF-8 JSON: ${(error as Error).message.slice(0, 200)}.`,
        error,
      );
    }
  }
  if (!isPlainObject(value))
    throw indexError('The index should be a JSON object with a weight_map.');
  const metadata = value.metadata ?? {};
  if (!isPlainObject(metadata)) throw indexError('The index "metadata" should be an object.');
  if (!isPlainObject(value.weight_map))
    throw indexError('The index has no weight_map object (tensor name -> shard file).');
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  const seen = new Set<string>();
  for (const [tensor, shard] of Object.entries(value.weight_map)) {
    const name = checkShardName(tensor, shard);
    weightMap.set(tensor, name);
    if (!seen.has(name)) {
      if (seen.size >= limits.maxShardCount) {
        throw safetensorsError(
          'safetensors-limit-exceeded',
          `The index names more than maxShardCount (${limits.maxShardCount}) shard files.`,
        );
      }
      seen.add(name);
      shards.push(name);
    }
  }
  return { metadata: { ...metadata }, weightMap, shards };
}

export interface OpenSafetensorsCheckpointOptions extends ReadSafetensorsOptions {
  /**
   * Where a shard named in the index lives. Needed when the index itself was given as bytes or a
   * Blob; paths and URLs resolve shards beside the index by default.
   */
  resolveShard?: (
    fileName: string,
  ) => ByteSourceInput | ByteSource | Promise<ByteSourceInput | ByteSource>;
  /** Shards whose headers are read at once (default 8). */
  concurrency?: number;
}

/** A checkpoint: one file, or the shards of an index, behind one lazy reader. */
export interface SafetensorsCheckpoint extends SafetensorsTensorReader {
  /** The index, for sharded checkpoints. */
  readonly index: SafetensorsIndex | undefined;
  /** The open files (one per shard). */
  readonly files: readonly SafetensorsFile[];
  /** The shard file name that holds a tensor (`undefined` for single files). */
  shardOf(name: string): string | undefined;
}

type Located =
  | { kind: 'file'; source: ByteSourceInput | ByteSource }
  | {
      kind: 'index';
      source: ByteSourceInput | ByteSource;
      resolveShard: (
        fileName: string,
      ) => ByteSourceInput | ByteSource | Promise<ByteSourceInput | ByteSource>;
    };

function isHttp(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

async function locate(
  input: ByteSourceInput | ByteSource,
  options: OpenSafetensorsCheckpointOptions,
): Promise<Located> {
  const custom = options.resolveShard;
  if (typeof input === 'string' || input instanceof URL) {
    const href = typeof input === 'string' ? input : input.href;
    if (isHttp(href) || (input instanceof URL && input.protocol !== 'file:')) {
      const isIndex = /\.json$/i.test(new URL(href).pathname);
      return isIndex
        ? {
            kind: 'index',
            source: input,
            resolveShard: custom ?? ((fileName) => new URL(fileName, href).href),
          }
        : { kind: 'file', source: input };
    }
    const { fileURLToPath } = await import('node:url');
    const path = href.startsWith('file:') ? fileURLToPath(href) : href;
    const { join, dirname } = await import('node:path');
    const { stat, readdir } = await import('node:fs/promises');
    const info = await stat(path).catch((error: unknown) => {
      throw new LoadError({
        source: path,
        code: 'file-open-failed',
        message: `Cannot open "${path}": ${(error as Error).message}.`,
        cause: error,
      });
    });
    if (info.isDirectory()) {
      const entries = await readdir(path);
      const pick = (predicate: (name: string) => boolean) => entries.filter(predicate).sort();
      const indexes = entries.includes(SAFETENSORS_INDEX_FILE)
        ? [SAFETENSORS_INDEX_FILE]
        : pick((name) => name.endsWith('.safetensors.index.json'));
      if (indexes.length === 1) {
        const indexPath = join(path, indexes[0]!);
        return {
          kind: 'index',
          source: indexPath,
          resolveShard: custom ?? ((fileName) => join(path, fileName)),
        };
      }
      const files = entries.includes(SAFETENSORS_SINGLE_FILE)
        ? [SAFETENSORS_SINGLE_FILE]
        : pick((name) => name.endsWith('.safetensors'));
      if (indexes.length === 0 && files.length === 1)
        return { kind: 'file', source: join(path, files[0]!) };
      throw new LoadError({
        source: path,
        code: 'safetensors-not-found',
        message:
          indexes.length + files.length === 0
            ? `"${path}" holds no ${SAFETENSORS_SINGLE_FILE} and no ${SAFETENSORS_INDEX_FILE}.`
            : `"${path}" holds several candidates (${[...indexes, ...files].slice(0, 5).join(', ')}); pass the file or index to open.`,
      });
    }
    if (path.endsWith('.json')) {
      return {
        kind: 'index',
        source: path,
        resolveShard: custom ?? ((fileName) => join(dirname(path), fileName)),
      };
    }
    return { kind: 'file', source: path };
  }
  if (custom) {
    // Bytes or a Blob with a resolver: an index if it looks like JSON, else a file.
    const source = await toByteSource(input, options);
    const first = await source.read(0, 1);
    return first[0] === 0x7b
      ? { kind: 'index', source, resolveShard: custom }
      : { kind: 'file', source };
  }
  return { kind: 'file', source: input };
}

async function readIndex(
  source: ByteSourceInput | ByteSource,
  options: OpenSafetensorsCheckpointOptions,
): Promise<SafetensorsIndex> {
  const limits = resolveSafetensorsLimits(options.limits);
  const opened = await toByteSource(source, options);
  try {
    const bytes = await opened.read(0, limits.maxIndexSize + 1);
    if (bytes.byteLength > limits.maxIndexSize) {
      throw safetensorsError(
        'safetensors-limit-exceeded',
        `The index is larger than maxIndexSize (${limits.maxIndexSize} bytes).`,
      );
    }
    return parseSafetensorsIndex(bytes, options);
  } finally {
    await opened.close();
  }
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * Opens a checkpoint: a model directory (with `model.safetensors.index.json` or
 * `model.safetensors`), an index (path, URL, or bytes/Blob with `resolveShard`), or a single
 * safetensors file. Every shard's header is read and checked against the index up front;
 * tensor data is read on demand. Close it when done.
 */
export async function openSafetensorsCheckpoint(
  input: ByteSourceInput | ByteSource,
  options: OpenSafetensorsCheckpointOptions = {},
): Promise<SafetensorsCheckpoint> {
  const located = await locate(input, options);
  if (located.kind === 'file') {
    const file = await openSafetensors(located.source, options);
    return {
      ...createTensorReader(
        file.tensors,
        file.metadata,
        (tensor) => file.readTensorBytes(tensor.name),
        () => file.close(),
        !file.source.inMemory,
      ),
      index: undefined,
      files: [file],
      shardOf: () => undefined,
    };
  }
  const index = await readIndex(located.source, options);
  const files: SafetensorsFile[] = [];
  try {
    const opened = await mapWithConcurrency(
      index.shards,
      Math.max(1, options.concurrency ?? 8),
      async (shard) => {
        const file = await openSafetensors(await located.resolveShard(shard), options);
        files.push(file);
        return file;
      },
    );
    const byShard = new Map(index.shards.map((shard, position) => [shard, opened[position]!]));
    const owner = new Map<
      string,
      { shard: string; file: SafetensorsFile; info: SafetensorsTensorInfo }
    >();
    for (const [tensor, shard] of index.weightMap) {
      const file = byShard.get(shard)!;
      const info = file.getTensor(tensor);
      if (!info) {
        throw indexError(
          `The index puts "${tensor}" in ${shard}, which has no such tensor. The checkpoint is incomplete or mixed up.`,
        );
      }
      owner.set(tensor, { shard, file, info });
    }
    // Tensors present in shards but missing from the weight map are still readable.
    for (const shard of index.shards) {
      const file = byShard.get(shard)!;
      for (const info of file.tensors)
        if (!owner.has(info.name)) owner.set(info.name, { shard, file, info });
    }
    const ordered = [...owner.values()].sort(
      (a, b) =>
        index.shards.indexOf(a.shard) - index.shards.indexOf(b.shard) ||
        a.info.dataOffsets[0] - b.info.dataOffsets[0],
    );
    const reader = createTensorReader(
      ordered.map((entry) => entry.info),
      opened[0]?.metadata ?? Object.create(null),
      (tensor) => owner.get(tensor.name)!.file.readTensorBytes(tensor.name),
      async () => {
        await Promise.all(opened.map((file) => file.close()));
      },
      opened.every((file) => !file.source.inMemory),
    );
    return { ...reader, index, files: opened, shardOf: (name) => owner.get(name)?.shard };
  } catch (error) {
    await Promise.all(files.map((file) => file.close().catch(() => {})));
    throw error;
  }
}
