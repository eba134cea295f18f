import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDirectory } from './directory-lock';

const dir = mkdtempSync(join(tmpdir(), 'llmr-gateway-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PGlite directory lock', () => {
  it('refuses a directory another live process holds, naming it', async () => {
    const data = join(dir, 'held');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(`${data}.lock`, String(holder.pid));
      expect(() => lockDirectory(data)).toThrow(
        expect.objectContaining({
          code: 'gateway-database-locked',
          message: expect.stringContaining(`pid ${holder.pid}`),
        }),
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over the lock of a process that is gone, and releases it', async () => {
    const data = join(dir, 'stale');
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => gone.once('exit', resolve));
    writeFileSync(`${data}.lock`, String(gone.pid));
    const unlock = lockDirectory(data);
    expect(readFileSync(`${data}.lock`, 'utf8')).toBe(String(process.pid));
    unlock();
    expect(existsSync(`${data}.lock`)).toBe(false);
  });
});
