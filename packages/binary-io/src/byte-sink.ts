/**
 * Where writers put bytes: a file path (Node, dynamic `import('node:fs/promises')`), a
 * `WritableStream`, or any object with `write(chunk)`. Every write is awaited before the next
 * chunk is produced, so memory stays bounded by one chunk.
 */
import { InvalidArgumentError, LoadError, throwIfAborted } from '@llmr/core';

/** A destination for bytes. `write` must consume (or copy) the chunk before it settles. */
export interface ByteSink {
  write(chunk: Uint8Array): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A file path or `file:` URL (Node), a WritableStream, or a {@link ByteSink}. */
export type ByteSinkInput = string | URL | ByteSink | WritableStream<Uint8Array>;

export interface OpenedSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Gives up: closes and, for files, removes what was written. */
  abort(reason: unknown): Promise<void>;
}

export async function openByteSink(input: ByteSinkInput): Promise<OpenedSink> {
  if (typeof input === 'string' || input instanceof URL) {
    const text = typeof input === 'string' ? input : input.href;
    if (/^https?:\/\//i.test(text)) {
      throw new InvalidArgumentError({
        argument: 'sink',
        value: text,
        message:
          'Cannot write to an http(s) URL: pass a file path, a WritableStream or an object with write().',
      });
    }
    const path = text.startsWith('file:') ? (await import('node:url')).fileURLToPath(text) : text;
    return openFileSink(path);
  }
  if (typeof WritableStream !== 'undefined' && input instanceof WritableStream) {
    const writer = input.getWriter();
    return {
      write: async (chunk) => {
        await writer.ready;
        await writer.write(chunk);
      },
      close: () => writer.close(),
      abort: (reason) => writer.abort(reason).catch(() => {}),
    };
  }
  if (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as ByteSink).write === 'function'
  ) {
    const sink = input as ByteSink;
    return {
      write: async (chunk) => {
        await sink.write(chunk);
      },
      close: async () => {
        await sink.close?.();
      },
      abort: async () => {
        await Promise.resolve(sink.close?.()).catch(() => {});
      },
    };
  }
  throw new InvalidArgumentError({
    argument: 'sink',
    value: input,
    message: 'Expected a file path, a file: URL, a WritableStream or an object with write(chunk).',
  });
}

async function openFileSink(path: string): Promise<OpenedSink> {
  const fs = await import('node:fs/promises');
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await fs.open(path, 'w');
  } catch (error) {
    throw new LoadError({
      source: path,
      code: 'file-open-failed',
      message: `Cannot create "${path}": ${(error as Error).message}. Check that the directory exists and is writable.`,
      cause: error,
    });
  }
  let position = 0;
  return {
    async write(chunk) {
      let written = 0;
      while (written < chunk.byteLength) {
        const { bytesWritten } = await handle.write(
          chunk,
          written,
          chunk.byteLength - written,
          position,
        );
        written += bytesWritten;
        position += bytesWritten;
      }
    },
    close: () => handle.close(),
    async abort() {
      await handle.close().catch(() => {});
      await fs.rm(path, { force: true }).catch(() => {});
    },
  };
}

/** A sink that fills a preallocated buffer (writers know their total size up front). */
export function bufferSink(output: Uint8Array): OpenedSink & { readonly written: number } {
  let written = 0;
  return {
    get written() {
      return written;
    },
    async write(chunk) {
      output.set(chunk, written);
      written += chunk.byteLength;
    },
    async close() {},
    async abort() {},
  };
}

/** Chunk size for {@link writeInChunks}: large enough for few awaits, small enough for streams. */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

export interface WriteInChunksOptions {
  /** Bytes per write (default {@link DEFAULT_CHUNK_BYTES}). */
  chunkBytes?: number;
  /** Checked before each chunk, so a long tensor stops soon after an abort. */
  signal?: AbortSignal;
  /** Called after each chunk is written, with its length (progress reports). */
  onChunk?: (byteLength: number) => void;
}

/**
 * Writes `bytes` to `sink` in views of at most `chunkBytes` (no copies), awaiting each write, so
 * a WritableStream sees bounded chunks and an abort is noticed between them.
 */
export async function writeInChunks(
  sink: Pick<OpenedSink, 'write'>,
  bytes: Uint8Array,
  options: WriteInChunksOptions = {},
): Promise<void> {
  await writeEncodedInChunks(sink, bytes, (chunk) => chunk, {
    ...options,
    chunkLength: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
  });
}

export interface WriteEncodedInChunksOptions extends Omit<WriteInChunksOptions, 'chunkBytes'> {
  /** Values encoded per write (a multiple of the format's block size). */
  chunkLength: number;
}

/**
 * Encodes `values` a slice at a time (`encode` gets views of at most `chunkLength` values) and
 * writes each result before encoding the next, so converting a tensor needs one chunk of memory.
 */
export async function writeEncodedInChunks<T extends ArrayLike<number> & ArraySliceable<T>>(
  sink: Pick<OpenedSink, 'write'>,
  values: T,
  encode: (values: T) => Uint8Array,
  options: WriteEncodedInChunksOptions,
): Promise<void> {
  const { chunkLength } = options;
  if (!Number.isSafeInteger(chunkLength) || chunkLength <= 0) {
    throw new InvalidArgumentError({
      argument: 'chunkLength',
      value: chunkLength,
      message: `The chunk length must be a positive integer, not ${chunkLength}.`,
    });
  }
  for (let start = 0; start < values.length; start += chunkLength) {
    throwIfAborted(options.signal);
    const chunk = encode(values.subarray(start, Math.min(start + chunkLength, values.length)));
    await sink.write(chunk);
    options.onChunk?.(chunk.byteLength);
  }
}

/** What {@link writeEncodedInChunks} needs of a typed array. */
interface ArraySliceable<T> {
  subarray(begin: number, end: number): T;
}

/**
 * Runs `write`, then closes `sink`; on any failure aborts it (a file is removed, so no half
 * written file is left for a loader to trip over) and rethrows.
 */
export async function writeThenClose(
  sink: OpenedSink,
  write: (sink: OpenedSink) => Promise<void>,
): Promise<void> {
  try {
    await write(sink);
    await sink.close();
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
}

/** A progress callback that adds up written bytes and reports the running total. */
export function progressCounter(
  totalBytes: number,
  onProgress: ((progress: { bytesWritten: number; totalBytes: number }) => void) | undefined,
): (bytes: number) => void {
  let bytesWritten = 0;
  return (bytes) => {
    bytesWritten += bytes;
    onProgress?.({ bytesWritten, totalBytes });
  };
}
