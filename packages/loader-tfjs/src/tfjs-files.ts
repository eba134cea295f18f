/**
 * Where a TF.js model's files come from — a directory, an http(s) base URL, or bytes in
 * memory — behind one bounded `read(path, maxBytes)`: never more than `maxBytes` is read
 * (a download is cancelled there), so a caller that asks for one byte more than it expects
 * learns that a file is too long without holding it.
 */
import { LlmrError } from '@llmr/core';

export interface TfjsFiles {
  /** Named in errors: the directory, the base URL, or the name given to bytes. */
  readonly source: string;
  /** At most `maxBytes` of the file at `path` (relative to the model's folder), or undefined when absent. */
  read(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
}

export const isHttpSource = (source: string) => /^https?:\/\//i.test(source);

/** Files under a local directory. */
export async function localTfjsFiles(dir: string): Promise<TfjsFiles> {
  const { open } = await import('node:fs/promises');
  const { join } = await import('node:path');
  return {
    source: dir,
    async read(path, maxBytes) {
      const handle = await open(join(dir, path), 'r').catch(() => undefined);
      if (!handle) return undefined;
      try {
        const size = (await handle.stat()).size;
        const buffer = new Uint8Array(Math.min(size, maxBytes));
        let offset = 0;
        while (offset < buffer.length) {
          const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
        }
        return buffer.subarray(0, offset);
      } finally {
        await handle.close();
      }
    },
  };
}

/** Files under an http(s) base URL (the folder holding model.json), read with `fetch`. */
export function httpTfjsFiles(base: string, fetchImpl: typeof fetch = fetch): TfjsFiles {
  const folder = base.endsWith('/') ? base : `${base}/`;
  return {
    source: folder,
    async read(path, maxBytes) {
      const url = new URL(path.split('\\').join('/'), folder).href;
      let response: Response;
      try {
        response = await fetchImpl(url);
      } catch (error) {
        throw new LlmrError({
          code: 'tfjs-fetch-failed',
          message: `Fetching ${url} failed (${(error as Error).message}); check the URL and that the server is up.`,
          cause: error,
        });
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new LlmrError({
          code: 'tfjs-fetch-failed',
          message: `${url} answered HTTP ${response.status}; the model's files must be readable there.`,
          isRetryable: response.status >= 500 || response.status === 429,
        });
      }
      const reader = response.body?.getReader();
      if (!reader) return new Uint8Array(0);
      const chunks: Uint8Array[] = [];
      let length = 0;
      while (length < maxBytes) {
        const { done, value } = await reader.read();
        if (done) break;
        const part = value.subarray(0, maxBytes - length);
        chunks.push(part);
        length += part.byteLength;
      }
      // Past maxBytes the rest is not wanted: stop the download rather than drain it.
      await reader.cancel().catch(() => {});
      const out = new Uint8Array(length);
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return out;
    },
  };
}

/** Files given as bytes (or text), by the paths model.json and the loader name them. */
export function memoryTfjsFiles(
  files: Record<string, Uint8Array | string>,
  name = 'model.json',
): TfjsFiles {
  return {
    source: name,
    async read(path, maxBytes) {
      const file = files[path] ?? files[path.split('\\').join('/')];
      if (file === undefined) return undefined;
      const bytes = typeof file === 'string' ? new TextEncoder().encode(file) : file;
      return bytes.subarray(0, maxBytes);
    },
  };
}
