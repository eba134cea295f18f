/** Reading a config file, and watching it for changes (Node only: imports node:fs lazily). */

import { type ParseRouterConfigOptions, parseRouterConfig } from './parse-router-config';
import type { ResolvedRouterConfig } from './router-config-schema';

export async function loadRouterConfig(
  path: string,
  options: Omit<ParseRouterConfigOptions, 'file'> = {},
): Promise<ResolvedRouterConfig> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(path, 'utf8');
  return parseRouterConfig(text, { ...options, file: path });
}

export interface WatchRouterConfigOptions extends Omit<ParseRouterConfigOptions, 'file'> {
  /** Waits this long after the last change before reading (editors write in bursts). Default 50 ms. */
  debounceMs?: number;
  onChange: (config: ResolvedRouterConfig) => void | Promise<void>;
  /** A change that does not parse or validate: the old config stays in force. */
  onError?: (error: unknown) => void;
}

/**
 * Watches the file's folder (editors often replace a file by renaming, which a watch on
 * the file itself would miss) and calls `onChange` with each valid new version.
 * Returns a function that stops watching.
 */
export async function watchRouterConfig(
  path: string,
  options: WatchRouterConfigOptions,
): Promise<() => void> {
  const { watch } = await import('node:fs');
  const { basename, dirname } = await import('node:path');
  const name = basename(path);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const reload = async () => {
    try {
      const config = await loadRouterConfig(path, options);
      if (!closed) await options.onChange(config);
    } catch (error) {
      if (!closed) options.onError?.(error);
    }
  };
  const watcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== name) return;
    clearTimeout(timer);
    timer = setTimeout(reload, options.debounceMs ?? 50);
  });
  watcher.unref();
  return () => {
    closed = true;
    clearTimeout(timer);
    watcher.close();
  };
}
