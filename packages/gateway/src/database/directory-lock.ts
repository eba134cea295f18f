/**
 * One process at a time per PGlite directory: PGlite keeps no lock of its own, and two
 * processes writing one data directory would corrupt it. The lock is a sibling file
 * holding the owner's pid; a lock whose process is gone (killed, crashed) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { LlmrError } from '@llmr/core';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDirectory(dataDir: string): () => void {
  const path = `${dataDir.replace(/[\\/]+$/, '')}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new LlmrError({
          code: 'gateway-database-locked',
          message: `The gateway database ${dataDir} is open in another process (pid ${owner}). Stop it first (e.g. the running "llmr serve"), use the admin API instead, or use PostgreSQL for shared access.`,
        });
      }
      // The owner is gone (or is us, reopening): take the lock over.
      rmSync(path, { force: true });
    }
  }
  throw new LlmrError({
    code: 'gateway-database-locked',
    message: `Could not lock the gateway database ${dataDir}; remove ${path} if no process uses it.`,
  });
}
