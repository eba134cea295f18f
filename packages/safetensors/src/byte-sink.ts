/**
 * Where writers put bytes: a file path (Node, dynamic `import('node:fs/promises')`), a
 * `WritableStream`, or any object with `write(chunk)`. Every write is awaited before the next
 * chunk is produced, so memory stays bounded by one chunk.
 *
 * (The same module lives in @llmr/gguf: the two packages depend only on @llmr/core.)
 */
import { InvalidArgumentError, LoadError } from '@llmr/core';

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
