/**
 * Random access to bytes wherever they live: in memory, in a Blob, in a local file (Node, loaded
 * with a dynamic `import()` so browser bundles never see `node:fs`), or behind an http(s) URL
 * read with `Range` requests. Readers ask for byte ranges; nothing here reads a whole file
 * unless asked to.
 *
 * The errors are format-neutral (`LoadError`, `APICallError`, `InvalidArgumentError`): a format
 * package adds its own `ParseError` codes once it knows what the bytes should have been.
 */
import {
  AbortError,
  APICallError,
  InvalidArgumentError,
  isAbortError,
  LoadError,
} from '@llmr/core';

/** Anything a reader can open: a path, a `file:`/`http(s):` URL, a Blob, or bytes. */
export type ByteSourceInput = string | URL | Blob | ArrayBufferLike | ArrayBufferView;

export interface ByteSourceOptions {
  /** `fetch` to use for http(s) sources (defaults to `globalThis.fetch`). */
  fetch?: typeof globalThis.fetch;
  /** Extra request headers for http(s) sources, e.g. `{ authorization: 'Bearer ...' }`. */
  headers?: Record<string, string>;
  /** Aborts pending reads. */
  signal?: AbortSignal;
}

/** An open source of bytes. */
export interface ByteSource {
  /** For messages: a path, a URL or `memory`/`blob`. */
  readonly name: string;
  /**
   * Total size in bytes when known. In-memory, Blob and file sources know it at once; an HTTP
   * source learns it from the first response (`Content-Range` or `Content-Length`).
   */
  readonly size: number | undefined;
  /** True when the bytes are already in memory, so reading everything at once costs nothing. */
  readonly inMemory?: boolean;
  /**
   * Reads `length` bytes at `offset`. Returns fewer bytes only at the end of the source. The
   * result may be a view into memory the source owns (in-memory sources): copy it before
   * changing it.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** True for anything shaped like a {@link ByteSource} (yours or one from `openByteSource`). */
export function isByteSource(input: unknown): input is ByteSource {
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as ByteSource).read === 'function' &&
    typeof (input as ByteSource).close === 'function' &&
    'size' in input
  );
}

/** `input` itself when it is already a {@link ByteSource}, otherwise `openByteSource(input)`. */
export async function toByteSource(
  input: ByteSourceInput | ByteSource,
  options: ByteSourceOptions = {},
): Promise<ByteSource> {
  return isByteSource(input) ? input : openByteSource(input, options);
}

/**
 * Runs `use` with `input` as a source. A source opened here is closed afterwards; one passed in
 * stays open, because its owner decides when it ends.
 */
export async function withByteSource<T>(
  input: ByteSourceInput | ByteSource,
  options: ByteSourceOptions,
  use: (source: ByteSource) => Promise<T>,
): Promise<T> {
  if (isByteSource(input)) return use(input);
  const source = await openByteSource(input, options);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

/**
 * Opens (or takes) a source and runs `parse` on it, typically reading a header. When `parse`
 * fails the source is closed, even one passed in, since the caller gets nothing to close it by.
 */
export async function openByteSourceWith<T>(
  input: ByteSourceInput | ByteSource,
  options: ByteSourceOptions,
  parse: (source: ByteSource) => Promise<T>,
): Promise<{ source: ByteSource; value: T }> {
  const source = await toByteSource(input, options);
  try {
    return { source, value: await parse(source) };
  } catch (error) {
    await source.close();
    throw error;
  }
}

function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

/** Opens `input` for random-access reads. Close it when done (files hold a descriptor). */
export async function openByteSource(
  input: ByteSourceInput,
  options: ByteSourceOptions = {},
): Promise<ByteSource> {
  if (typeof input === 'string') {
    if (isHttpUrl(input)) return new HttpByteSource(input, options);
    if (input.startsWith('file:')) return openFileByteSource(await fileUrlToPath(input));
    return openFileByteSource(input);
  }
  if (input instanceof URL) {
    if (input.protocol === 'http:' || input.protocol === 'https:') {
      return new HttpByteSource(input.href, options);
    }
    if (input.protocol === 'file:') return openFileByteSource(await fileUrlToPath(input.href));
    throw new InvalidArgumentError({
      argument: 'source',
      value: input.href,
      message: `Unsupported URL scheme "${input.protocol}": pass a path, a file:, http: or https: URL, a Blob or bytes.`,
    });
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) return new BlobByteSource(input);
  if (
    input instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)
  ) {
    return new MemoryByteSource(new Uint8Array(input));
  }
  if (ArrayBuffer.isView(input)) {
    return new MemoryByteSource(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
  }
  throw new InvalidArgumentError({
    argument: 'source',
    value: input,
    message: 'Expected a path, a URL, a Blob, an ArrayBuffer or a typed array.',
  });
}

async function fileUrlToPath(url: string): Promise<string> {
  const { fileURLToPath } = await import('node:url');
  return fileURLToPath(url);
}

/** Reads a range but never past the known end, so a hostile length cannot allocate much. */
function clampLength(size: number | undefined, offset: number, length: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError({
      argument: 'range',
      value: { offset, length },
      message: `Invalid byte range (offset ${offset}, length ${length}): both must be non-negative safe integers.`,
    });
  }
  if (size === undefined) return length;
  return Math.max(0, Math.min(length, size - offset));
}

class MemoryByteSource implements ByteSource {
  readonly name = 'memory';
  readonly inMemory = true;
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.byteLength;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const clamped = clampLength(this.size, offset, length);
    return this.bytes.subarray(offset, offset + clamped);
  }
  async close(): Promise<void> {}
}

class BlobByteSource implements ByteSource {
  readonly name = 'blob';
  readonly size: number;
  constructor(private readonly blob: Blob) {
    this.size = blob.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const clamped = clampLength(this.size, offset, length);
    if (clamped === 0) return new Uint8Array(0);
    return new Uint8Array(await this.blob.slice(offset, offset + clamped).arrayBuffer());
  }
  async close(): Promise<void> {}
}

type FileHandle = import('node:fs/promises').FileHandle;

async function openFileByteSource(path: string): Promise<ByteSource> {
  let fs: typeof import('node:fs/promises');
  try {
    fs = await import('node:fs/promises');
  } catch (error) {
    throw new LoadError({
      source: path,
      code: 'file-system-unavailable',
      message: `Cannot read "${path}": there is no file system here (browser?). Pass a Blob, bytes or an http(s) URL instead.`,
      cause: error,
    });
  }
  let handle: FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    throw new LoadError({
      source: path,
      code: 'file-open-failed',
      message: `Cannot open "${path}": ${(error as Error).message}. Check that the file exists and is readable.`,
      cause: error,
    });
  }
  try {
    const stat = await handle.stat();
    return new FileByteSource(path, handle, stat.size);
  } catch (error) {
    await handle.close();
    throw new LoadError({
      source: path,
      code: 'file-open-failed',
      message: `Cannot stat "${path}": ${(error as Error).message}.`,
      cause: error,
    });
  }
}

class FileByteSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    const clamped = clampLength(this.size, offset, length);
    const buffer = new Uint8Array(clamped);
    let total = 0;
    try {
      while (total < clamped) {
        const { bytesRead } = await this.handle.read(
          buffer,
          total,
          clamped - total,
          offset + total,
        );
        if (bytesRead === 0) break;
        total += bytesRead;
      }
    } catch (error) {
      throw new LoadError({
        source: this.name,
        code: 'file-read-failed',
        message: `Reading ${clamped} bytes at ${offset} from "${this.name}" failed: ${(error as Error).message}.`,
        cause: error,
      });
    }
    return total === clamped ? buffer : buffer.subarray(0, total);
  }
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * An http(s) source read with `Range: bytes=a-b`. A server that ignores ranges (200) is read as a
 * stream up to the wanted bytes and then cancelled, so memory stays bounded by the range.
 */
class HttpByteSource implements ByteSource {
  size: number | undefined;
  private readonly fetchImpl: typeof globalThis.fetch;
  constructor(
    readonly name: string,
    private readonly options: ByteSourceOptions,
  ) {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') {
      throw new InvalidArgumentError({
        argument: 'fetch',
        message: 'No fetch implementation: pass `fetch` in the options.',
      });
    }
    this.fetchImpl = fetchImpl;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const clamped = clampLength(this.size, offset, length);
    if (clamped === 0) return new Uint8Array(0);
    let response: Response;
    try {
      response = await this.fetchImpl(this.name, {
        headers: { ...this.options.headers, range: `bytes=${offset}-${offset + clamped - 1}` },
        signal: this.options.signal,
      });
    } catch (error) {
      if (isAbortError(error)) throw new AbortError({ cause: error });
      throw new APICallError({
        url: this.name,
        message: `Fetching bytes ${offset}-${offset + clamped - 1} of ${this.name} failed: ${(error as Error).message}.`,
        cause: error,
        isRetryable: true,
      });
    }
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (range?.total !== undefined) this.size = range.total;
      if (range?.start !== undefined && range.start !== offset) {
        await response.body?.cancel();
        throw new APICallError({
          url: this.name,
          statusCode: 206,
          message: `The server answered bytes from ${range.start} when ${offset} was asked for; it does not honour Range requests correctly.`,
        });
      }
      return readBody(response, 0, clamped);
    }
    if (response.status === 200) {
      const contentLength = Number(response.headers.get('content-length'));
      if (Number.isSafeInteger(contentLength) && contentLength >= 0) this.size = contentLength;
      const wanted = clampLength(this.size, offset, clamped);
      return readBody(response, offset, wanted);
    }
    if (response.status === 416) {
      // Asked past the end: the answer tells the size, and there are no bytes to return.
      const range = parseContentRange(response.headers.get('content-range'));
      if (range?.total !== undefined) this.size = range.total;
      await response.body?.cancel();
      return new Uint8Array(0);
    }
    const body = await response.text().catch(() => '');
    throw new APICallError({
      url: this.name,
      statusCode: response.status,
      responseBody: body.slice(0, 1000),
      message: `GET ${this.name} (bytes ${offset}-${offset + clamped - 1}) answered ${response.status} ${response.statusText}.`,
    });
  }

  async close(): Promise<void> {}
}

function parseContentRange(
  header: string | null,
): { start?: number; end?: number; total?: number } | undefined {
  if (!header) return undefined;
  const match = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(header.trim());
  if (!match) return undefined;
  const total = match[3] === '*' || match[3] === undefined ? undefined : Number(match[3]);
  if (match[1] === undefined || match[2] === undefined) return { total };
  return { start: Number(match[1]), end: Number(match[2]), total };
}

/** Reads `length` bytes after skipping `skip` bytes of a response body, then stops reading. */
async function readBody(response: Response, skip: number, length: number): Promise<Uint8Array> {
  const output = new Uint8Array(length);
  if (!response.body) return output.subarray(0, 0);
  const reader = response.body.getReader();
  let skipped = 0;
  let filled = 0;
  try {
    while (filled < length) {
      const { done, value } = await reader.read();
      if (done) break;
      let chunk = value;
      if (skipped < skip) {
        const drop = Math.min(skip - skipped, chunk.byteLength);
        skipped += drop;
        chunk = chunk.subarray(drop);
      }
      const take = Math.min(length - filled, chunk.byteLength);
      output.set(chunk.subarray(0, take), filled);
      filled += take;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return filled === length ? output : output.subarray(0, filled);
}
