/**
 * Idle chat sessions swapped to disk. A conversation's KV state lives in one of the
 * context's few sequences; once that sequence has been idle for `idleMs`, its state is
 * written to a file (llama.cpp's sequence state save) and the sequence is cleared, so its
 * KV cells serve other conversations. When a later prompt continues a saved conversation
 * (its tokens start with the saved ones), the state is loaded back instead of evaluating
 * the whole history again. Many long conversations so share one context.
 *
 * Files are crash-safe: written to a temporary name and renamed, so a half-written file
 * never has a session's name; the size and a SHA-256 are kept in memory and checked
 * before llama.cpp reads a file back. A file that is missing, truncated or altered is
 * dropped with one log line, and the prompt is then evaluated as if nothing had been
 * saved. Files are not fsynced: the index lives in memory, so after a crash no file is
 * read again whether it reached the disk or not (fsync cost more than the save itself).
 * Only files this model wrote are ever loaded (llama.cpp may crash on a state from
 * another model), so the index is per loaded model and its directory is removed when the
 * model is disposed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import type { LlamaContextSequence } from 'node-llama-cpp';
import { type SequencePool, sharedPrefix } from './sequence-pool';

export interface SessionSwapOptions {
  /** Idle time, in milliseconds, after which a session's KV state goes to disk (default 5 minutes). */
  idleMs?: number;
  /** Where state files go (default: the OS temporary directory); each model uses its own folder in it. */
  directory?: string;
  /** Sessions with fewer tokens are not worth a file: they are cleared, not saved (default 16). */
  minTokens?: number;
  /** Most bytes of state files kept; the oldest are deleted first (default 4 GiB). */
  maxDiskBytes?: number;
}

export interface SessionSwapStats {
  /** Sessions written to disk so far. */
  swappedOut: number;
  /** Sessions loaded back so far. */
  swappedIn: number;
  /** Saved sessions that could not be loaded back (their prompts were evaluated again). */
  fallbacks: number;
  /** Sessions on disk now, and their bytes. */
  sessionsOnDisk: number;
  diskBytes: number;
  /** Milliseconds spent writing and reading state files. */
  swapOutMs: number;
  swapInMs: number;
}

interface SavedSession {
  tokens: number[];
  file: string;
  bytes: number;
  sha256: string;
}

const DEFAULTS = { idleMs: 5 * 60_000, minTokens: 16, maxDiskBytes: 4 * 2 ** 30 };

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function checkOptions(
  options: SessionSwapOptions,
): Required<Omit<SessionSwapOptions, 'directory'>> {
  const resolved = { ...DEFAULTS, ...options };
  for (const key of ['idleMs', 'minTokens', 'maxDiskBytes'] as const) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new InvalidArgumentError({
        argument: `sessionSwap.${key}`,
        value,
        message: `sessionSwap.${key} must be a number of ${key === 'idleMs' ? 'milliseconds' : key === 'minTokens' ? 'tokens' : 'bytes'}, 0 or more; got ${JSON.stringify(value)}.`,
      });
  }
  return resolved;
}

export function createSessionSwap(
  pool: SequencePool,
  options: SessionSwapOptions,
  log: (line: string) => void,
) {
  const settings = checkOptions(options);
  const saved: SavedSession[] = [];
  const stats: SessionSwapStats = {
    swappedOut: 0,
    swappedIn: 0,
    fallbacks: 0,
    sessionsOnDisk: 0,
    diskBytes: 0,
    swapOutMs: 0,
    swapInMs: 0,
  };
  let directory: Promise<string> | undefined;
  let disposed = false;
  // Checks a few times per idle period; unref'd, so it never keeps a process alive.
  const timer = setInterval(
    () => {
      void swap.swapOutIdle().catch((error: unknown) => {
        log(`llmr loader-gguf: swapping idle sessions failed: ${(error as Error).message}`);
      });
    },
    Math.min(Math.max(settings.idleMs / 4, 1000), 60_000),
  );
  timer.unref?.();

  const folder = () => {
    directory ??= (async () => {
      const parent = options.directory ?? tmpdir();
      await mkdir(parent, { recursive: true });
      return mkdtemp(join(parent, 'llmr-kv-sessions-'));
    })();
    return directory;
  };

  const forget = async (session: SavedSession) => {
    const index = saved.indexOf(session);
    if (index >= 0) saved.splice(index, 1);
    stats.sessionsOnDisk = saved.length;
    stats.diskBytes -= session.bytes;
    await rm(session.file, { force: true });
  };

  /** Writes the sequence's state to a new file and clears the sequence. */
  const saveAndClear = async (sequence: LlamaContextSequence) => {
    const tokens = [...sequence.contextTokens];
    if (tokens.length >= settings.minTokens) {
      const started = performance.now();
      const file = join(await folder(), `${randomUUID()}.kv`);
      const temporary = `${file}.partial`;
      try {
        const { fileSize } = await sequence.saveStateToFile(temporary);
        const sha256 = await sha256Of(temporary);
        await rename(temporary, file);
        saved.push({ tokens, file, bytes: fileSize, sha256 });
        stats.swappedOut++;
        stats.diskBytes += fileSize;
        stats.sessionsOnDisk = saved.length;
        stats.swapOutMs += performance.now() - started;
        while (stats.diskBytes > settings.maxDiskBytes && saved.length > 0) await forget(saved[0]!);
      } catch (error) {
        // The session stays in memory: nothing is lost, it only keeps its cells.
        await rm(temporary, { force: true });
        log(
          `llmr loader-gguf: an idle session (${tokens.length} tokens) could not be saved to disk and stays in memory: ${(error as Error).message}`,
        );
        return false;
      }
    }
    await sequence.clearHistory();
    return true;
  };

  /** Checks a saved file against its size and hash; the reason when it does not match. */
  const verify = async (session: SavedSession): Promise<string | undefined> => {
    const info = await stat(session.file).catch(() => undefined);
    if (!info) return 'the file is missing';
    if (info.size !== session.bytes)
      return `the file has ${info.size} bytes, ${session.bytes} were written`;
    if ((await sha256Of(session.file)) !== session.sha256) return 'its SHA-256 does not match';
    return undefined;
  };

  const fallBack = async (
    sequence: LlamaContextSequence,
    session: SavedSession,
    reason: string,
  ) => {
    stats.fallbacks++;
    log(
      `llmr loader-gguf: a saved session (${session.tokens.length} tokens) cannot be restored, ${reason}; its prompt is evaluated again.`,
    );
    await forget(session);
    await sequence.clearHistory();
  };

  const swap = {
    get stats(): SessionSwapStats {
      return { ...stats };
    },

    /**
     * Saves every free sequence idle since before `now - idleMs` and clears it. Runs on a
     * timer; callable directly (with a `now` of one's choosing) for maintenance and tests.
     * Returns how many sessions were written.
     */
    async swapOutIdle(now = Date.now()): Promise<number> {
      let count = 0;
      for (const [sequence, since] of pool.idle()) {
        if (disposed) break;
        if (now - since < settings.idleMs || sequence.contextTokens.length === 0) continue;
        if (!pool.take(sequence)) continue;
        try {
          const before = stats.swappedOut;
          if (await saveAndClear(sequence)) count += stats.swappedOut - before;
        } finally {
          pool.release(sequence);
        }
      }
      return count;
    },

    /**
     * Before a request evaluates `prompt` on `sequence` (which it holds): loads the saved
     * session that shares the longest prefix with the prompt when that beats what the
     * sequence holds. What the sequence held is saved first, so no conversation is lost.
     * Returns the tokens restored (0 when nothing was).
     */
    async restore(sequence: LlamaContextSequence, prompt: readonly number[]): Promise<number> {
      if (saved.length === 0) return 0;
      let best: SavedSession | undefined;
      let bestShared = 0;
      for (const session of saved) {
        const shared = sharedPrefix(session.tokens, prompt);
        if (shared > bestShared) {
          best = session;
          bestShared = shared;
        }
      }
      const current = sharedPrefix(sequence.contextTokens, prompt);
      if (!best || bestShared <= current || bestShared < settings.minTokens) return 0;
      const started = performance.now();
      const problem = await verify(best);
      if (problem) {
        await fallBack(sequence, best, problem);
        return 0;
      }
      if (sequence.contextTokens.length > current && !(await saveAndClear(sequence))) return 0;
      try {
        await sequence.loadStateFromFile(best.file, { acceptRisk: true });
      } catch (error) {
        await fallBack(sequence, best, `llama.cpp refused it (${(error as Error).message})`);
        return 0;
      }
      const loaded = sequence.contextTokens;
      if (
        loaded.length !== best.tokens.length ||
        sharedPrefix(loaded, best.tokens) !== loaded.length
      ) {
        await fallBack(sequence, best, 'its tokens are not the ones saved');
        return 0;
      }
      stats.swappedIn++;
      stats.swapInMs += performance.now() - started;
      // Back in memory: the file has served its purpose.
      await forget(best);
      return bestShared;
    },

    async dispose() {
      disposed = true;
      clearInterval(timer);
      saved.length = 0;
      stats.sessionsOnDisk = 0;
      stats.diskBytes = 0;
      const path = await directory?.catch(() => undefined);
      if (path) await rm(path, { recursive: true, force: true });
    },
  };
  return swap;
}

export type SessionSwap = ReturnType<typeof createSessionSwap>;
