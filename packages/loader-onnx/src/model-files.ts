/**
 * Reading a model directory from wherever it lives: the local file system (Node, loaded
 * lazily so browser builds never see `node:fs`), an http(s) base URL (browsers, servers
 * of model files), or memory (tests, generated models).
 */
import { LoadError } from '@llmr/core';

export interface ModelFiles {
  /** The source, for messages. */
  readonly source: string;
  /** A file's bytes, or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  exists(path: string): Promise<boolean>;
  /** A path an engine can open by itself (local files only). */
  localPath?(path: string): string;
  /** File names in a folder, when the storage can list them. */
  list?(folder: string): Promise<string[]>;
}

export function isHttpSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** A URI-ish source that is not a file path (`hf:`, `mock:`...): not ours. */
export function isForeignScheme(source: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:/i.test(source) && !/^file:/i.test(source) && !/^[a-z]:[\\/]/i.test(source)
  );
}

export async function localPathOf(source: string): Promise<string> {
  if (/^file:/i.test(source)) {
    const { fileURLToPath } = await import('node:url');
    return fileURLToPath(source);
  }
  return source;
}

export async function localFiles(directory: string): Promise<ModelFiles> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  return {
    source: directory,
    async read(name) {
      try {
        return new Uint8Array(await fs.readFile(path.join(directory, name)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new LoadError({
          source: directory,
          message: `Cannot read ${path.join(directory, name)}: ${(error as Error).message}`,
          cause: error,
        });
      }
    },
    async exists(name) {
      return fs.stat(path.join(directory, name)).then(
        (info) => info.isFile(),
        () => false,
      );
    },
    localPath: (name) => path.join(directory, name),
    async list(folder) {
      return fs.readdir(path.join(directory, folder)).catch(() => []);
    },
  };
}

export function httpFiles(baseUrl: string, fetchImpl: typeof fetch = fetch): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (name: string, method: 'GET' | 'HEAD') => {
    try {
      return await fetchImpl(new URL(name, base), { method });
    } catch (error) {
      throw new LoadError({
        source: baseUrl,
        message: `Cannot fetch ${new URL(name, base)}: ${(error as Error).message}`,
        cause: error,
        isRetryable: true,
      });
    }
  };
  return {
    source: baseUrl,
    async read(name) {
      const response = await get(name, 'GET');
      if (response.status === 404) return undefined;
      if (!response.ok) {
        throw new LoadError({
          source: baseUrl,
          message: `GET ${new URL(name, base)} answered ${response.status} ${response.statusText}.`,
          isRetryable: response.status >= 500 || response.status === 429,
        });
      }
      return new Uint8Array(await response.arrayBuffer());
    },
    async exists(name) {
      const response = await get(name, 'HEAD');
      return response.ok;
    },
  };
}

export function memoryFiles(
  files: Record<string, Uint8Array | string | object>,
  source = 'memory',
): ModelFiles {
  const encoder = new TextEncoder();
  const bytes = (value: Uint8Array | string | object) =>
    value instanceof Uint8Array
      ? value
      : encoder.encode(typeof value === 'string' ? value : JSON.stringify(value));
  return {
    source,
    read: async (name) => (name in files ? bytes(files[name]!) : undefined),
    exists: async (name) => name in files,
    list: async (folder) =>
      Object.keys(files)
        .filter((name) => name.startsWith(`${folder}/`))
        .map((name) => name.slice(folder.length + 1))
        .filter((name) => !name.includes('/')),
  };
}
