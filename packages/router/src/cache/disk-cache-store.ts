/**
 * A CacheStore in a directory: one file per entry plus an index, bounded by bytes and
 * entries (least recently used out first). Crash-safe: every file is written to a
 * temporary name and renamed into place, so a reader sees the old file or the new one,
 * never half of one. An index that is missing, torn or from another version is rebuilt
 * from the entry files (each carries its own key and expiry); a torn entry file is
 * deleted. Node only: the file system is imported on first use.
 */
import { LlmrError } from '@llmr/core';
import { type Clock, systemClock } from '../clock';
import type { CacheStore } from './cache-store';

export interface DiskCacheStoreOptions {
  directory: string;
  /** Bound on the entry files' total size. Default 256 MiB. */
  maxBytes?: number;
  /** Default 100,000. */
  maxEntries?: number;
  clock?: Clock;
}

interface IndexEntry {
  file: string;
  bytes: number;
  expiresAt: number;
  /** A use counter, not a time: ties under a coarse clock would make eviction order arbitrary. */
  lastUse: number;
}

interface EntryFile {
  key: string;
  expiresAt: number;
  value: string;
}

const INDEX_VERSION = 1;
const INDEX_FILE = 'index.json';
const ENTRIES_DIRECTORY = 'entries';
/** Index writes are coalesced: at most one every this many milliseconds of activity. */
const INDEX_FLUSH_DELAY_MS = 50;

type FileSystem = typeof import('node:fs/promises');

export function createDiskCacheStore(options: DiskCacheStoreOptions): CacheStore & {
  /** Writes the index now (also done shortly after every change). */
  flush(): Promise<void>;
  /** How the directory was opened: `loaded` its index, or `rebuilt` it from the entry files. */
  opened(): Promise<'loaded' | 'rebuilt'>;
} {
  const maxBytes = options.maxBytes ?? 256 * 2 ** 20;
  const maxEntries = options.maxEntries ?? 100_000;
  const clock = options.clock ?? systemClock;
  const index = new Map<string, IndexEntry>();
  let bytes = 0;
  let uses = 0;
  let indexTimer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();

  const paths = import('node:path');
  const fsPromise: Promise<FileSystem> = import('node:fs/promises');

  const fileNameOf = async (key: string) => {
    const { createHash } = await import('node:crypto');
    return `${createHash('sha256').update(key).digest('hex')}.json`;
  };

  const writeAtomically = async (fs: FileSystem, path: string, data: string) => {
    const temporary = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, path);
  };

  const rebuild = async (fs: FileSystem, directory: string): Promise<void> => {
    const { join } = await paths;
    index.clear();
    bytes = 0;
    for (const name of await fs.readdir(directory)) {
      const path = join(directory, name);
      if (!name.endsWith('.json')) {
        await fs.rm(path, { force: true }); // a temporary file a crash left behind
        continue;
      }
      try {
        const stat = await fs.stat(path);
        if (stat.size > maxBytes) throw new Error('larger than the whole cache');
        const entry = JSON.parse(await fs.readFile(path, 'utf8')) as EntryFile;
        if (typeof entry.key !== 'string' || typeof entry.value !== 'string')
          throw new Error('not an entry');
        if (entry.expiresAt <= clock.now()) throw new Error('expired');
        // Without the index, the last write is the best guess at the last use.
        index.set(entry.key, {
          file: name,
          bytes: stat.size,
          expiresAt: entry.expiresAt,
          lastUse: stat.mtimeMs,
        });
        bytes += stat.size;
      } catch {
        await fs.rm(path, { force: true });
      }
    }
    for (const entry of index.values()) uses = Math.max(uses, entry.lastUse);
  };

  const opening = (async () => {
    const fs = await fsPromise;
    const { join } = await paths;
    const directory = join(options.directory, ENTRIES_DIRECTORY);
    try {
      await fs.mkdir(directory, { recursive: true });
    } catch (error) {
      throw new LlmrError({
        code: 'cache-store-unavailable',
        message: `The disk cache cannot create ${directory}: ${(error as Error).message}. Point \`directory\` at a writable folder.`,
        cause: error,
      });
    }
    try {
      const raw = JSON.parse(await fs.readFile(join(options.directory, INDEX_FILE), 'utf8')) as {
        version?: number;
        entries?: Record<string, IndexEntry>;
      };
      if (raw.version !== INDEX_VERSION || typeof raw.entries !== 'object' || !raw.entries)
        throw new Error('another version');
      const present = new Set(await fs.readdir(directory));
      for (const [key, entry] of Object.entries(raw.entries)) {
        // An entry whose file is gone (a crash between rename and index write) is dropped.
        if (!present.has(entry.file) || typeof entry.bytes !== 'number') continue;
        index.set(key, entry);
        bytes += entry.bytes;
        uses = Math.max(uses, entry.lastUse);
      }
      // Files the index does not know (written after its last flush) are kept by a rebuild.
      const known = new Set([...index.values()].map((entry) => entry.file));
      if ([...present].some((name) => !known.has(name))) {
        await rebuild(fs, directory);
        return { fs, directory, how: 'rebuilt' as const };
      }
      return { fs, directory, how: 'loaded' as const };
    } catch {
      await rebuild(fs, directory);
      return { fs, directory, how: 'rebuilt' as const };
    }
  })();
  opening.catch(() => {});

  /** Operations run one at a time, so the index and the files never disagree for long. */
  const serial = <T>(operation: () => Promise<T>): Promise<T> => {
    const next = writing.then(operation, operation);
    writing = next.then(
      () => {},
      () => {},
    );
    return next;
  };

  const writeIndex = async () => {
    const { fs } = await opening;
    const { join } = await paths;
    await writeAtomically(
      fs,
      join(options.directory, INDEX_FILE),
      JSON.stringify({ version: INDEX_VERSION, entries: Object.fromEntries(index) }),
    );
  };
  const scheduleIndex = () => {
    if (indexTimer !== undefined) return;
    indexTimer = setTimeout(() => {
      indexTimer = undefined;
      void serial(writeIndex).catch(() => {});
    }, INDEX_FLUSH_DELAY_MS);
    (indexTimer as { unref?: () => void }).unref?.();
  };

  const removeEntry = async (key: string) => {
    const entry = index.get(key);
    if (!entry) return;
    index.delete(key);
    bytes -= entry.bytes;
    const { fs, directory } = await opening;
    const { join } = await paths;
    await fs.rm(join(directory, entry.file), { force: true });
  };

  return {
    name: 'disk',
    opened: async () => (await opening).how,
    async get(key) {
      const { fs, directory } = await opening;
      const entry = index.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= clock.now()) {
        await serial(() => removeEntry(key));
        scheduleIndex();
        return undefined;
      }
      const { join } = await paths;
      try {
        const stored = JSON.parse(
          await fs.readFile(join(directory, entry.file), 'utf8'),
        ) as EntryFile;
        if (stored.key !== key) return undefined;
        entry.lastUse = ++uses;
        return stored.value;
      } catch {
        // Deleted or damaged underneath us: forget it.
        await serial(() => removeEntry(key));
        scheduleIndex();
        return undefined;
      }
    },
    set(key, value, ttlMs) {
      return serial(async () => {
        const { fs, directory } = await opening;
        const { join } = await paths;
        const file = await fileNameOf(key);
        const expiresAt = clock.now() + ttlMs;
        const data = JSON.stringify({ key, expiresAt, value } satisfies EntryFile);
        const size = Buffer.byteLength(data);
        await removeEntry(key);
        if (size > maxBytes) return;
        await writeAtomically(fs, join(directory, file), data);
        index.set(key, { file, bytes: size, expiresAt, lastUse: ++uses });
        bytes += size;
        if (bytes > maxBytes || index.size > maxEntries) {
          const byAge = [...index.entries()].sort((a, b) => a[1].lastUse - b[1].lastUse);
          for (const [oldest] of byAge) {
            if (bytes <= maxBytes && index.size <= maxEntries) break;
            if (oldest !== key) await removeEntry(oldest);
          }
        }
        scheduleIndex();
      });
    },
    delete(key) {
      return serial(async () => {
        await removeEntry(key);
        scheduleIndex();
      });
    },
    clear() {
      return serial(async () => {
        for (const key of [...index.keys()]) await removeEntry(key);
        await writeIndex();
      });
    },
    async flush() {
      if (indexTimer !== undefined) clearTimeout(indexTimer);
      indexTimer = undefined;
      await serial(writeIndex);
    },
    async close() {
      if (indexTimer !== undefined) clearTimeout(indexTimer);
      indexTimer = undefined;
      await serial(writeIndex).catch(() => {});
    },
    size: () => ({ entries: index.size, bytes }),
  };
}
