/**
 * A lock per blob across processes, so two `llmr pull`s (or a pull and a server) fetching
 * the same file never append their bytes into one `.incomplete` (huggingface_hub holds a
 * file lock per blob for the same reason). The lock is a file created exclusively beside
 * the blob (`<blob>.lock`, holding `pid@host`); its holder touches it while it works. A
 * waiter polls until it can create the file, and breaks a lock whose holder is gone: a
 * process on this host that no longer exists, or a lock untouched for `staleMs` (a holder
 * on another host sharing the cache, or one that hangs).
 */
import { hostname } from 'node:os';
import { delay, throwIfAborted } from '@llmr/core';

export interface BlobLockOptions {
  abortSignal?: AbortSignal;
  /** A lock untouched this long is abandoned. Default 60 s; the holder touches it 4 times as often. */
  staleMs?: number;
  /** How often a waiter tries again. Default 100 ms. */
  pollMs?: number;
  /** Called once when the lock is held by someone else and this caller starts waiting. */
  onWait?: (holder: string) => void;
}

/** Holds `lockPath` once free; resolves to the function that releases it. */
export async function acquireBlobLock(
  lockPath: string,
  options: BlobLockOptions = {},
): Promise<() => Promise<void>> {
  const { open, readFile, rm, stat, utimes } = await import('node:fs/promises');
  const staleMs = options.staleMs ?? 60_000;
  const owner = `${process.pid}@${hostname()}`;
  let waited = false;
  for (;;) {
    throwIfAborted(options.abortSignal);
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(owner);
      await handle.close();
      const heartbeat = setInterval(
        () => {
          const now = new Date();
          utimes(lockPath, now, now).catch(() => {});
        },
        Math.max(10, Math.floor(staleMs / 4)),
      );
      heartbeat.unref();
      return async () => {
        clearInterval(heartbeat);
        // Only our own lock: if it was broken as stale, it may be someone else's now.
        const holder = await readFile(lockPath, 'utf8').catch(() => undefined);
        if (holder === owner) await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readFile(lockPath, 'utf8').catch(() => undefined);
    const info = await stat(lockPath).catch(() => undefined);
    if (holder === undefined || info === undefined) continue; // Released meanwhile.
    if (isAbandoned(holder, info.mtimeMs, staleMs)) {
      // Checked again just before: only the lock judged abandoned is removed.
      if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === holder)
        await rm(lockPath, { force: true });
      continue;
    }
    if (!waited) {
      waited = true;
      options.onWait?.(holder);
    }
    await delay(options.pollMs ?? 100, options.abortSignal);
  }
}

function isAbandoned(holder: string, touchedAt: number, staleMs: number): boolean {
  if (Date.now() - touchedAt > staleMs) return true;
  const match = /^(\d+)@(.*)$/.exec(holder);
  // Half-written (the holder crashed between create and write): stale soon enough.
  if (!match) return Date.now() - touchedAt > Math.min(staleMs, 5_000);
  if (match[2] !== hostname()) return false;
  try {
    process.kill(Number(match[1]), 0);
    return false;
  } catch (error) {
    // EPERM: it exists, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
