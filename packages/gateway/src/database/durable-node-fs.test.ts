/**
 * PGlite on a directory syncs each commit's WAL to disk before the write is acknowledged
 * (a key created, a request charged), which is what makes it survive a power cut and
 * not only a killed process. Watched at the system call PGlite's file system makes
 * (`fs.fsyncSync`), with the file each call synced read back from the descriptor;
 * `durable: false` is the control that shows the check can fail.
 */
import fs, { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../gateway';
import { openPgliteDatabase } from './pglite-database';

const WAL_SEGMENT = /[/\\]pg_wal[/\\][0-9A-F]{24}$/;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Which files `work` fsynced, by path. */
async function syncedDuring(work: () => Promise<unknown>): Promise<string[]> {
  const synced: string[] = [];
  const original = fs.fsyncSync;
  vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
    synced.push(fileOf(fd));
    original(fd);
  });
  try {
    await work();
  } finally {
    vi.restoreAllMocks();
  }
  return synced;
}

function fileOf(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    // Without /proc (not Linux): still counted, by descriptor.
    return `fd:${fd}`;
  }
}

async function open(durable: boolean): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'llmr-gateway-fsync-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const gateway = await createGateway({
    database: await openPgliteDatabase({ dataDir: dir, durable }),
  });
  cleanups.push(() => gateway.close());
  return gateway;
}

describe('PGlite durability', () => {
  it('syncs the WAL to disk before a key creation or a charge is acknowledged', async () => {
    const gateway = await open(true);
    expect(await gateway.database.query('SHOW fsync')).toEqual([{ fsync: 'on' }]);
    await gateway.tenants.create({ name: 'team' });
    let key = '';
    const onCreate = await syncedDuring(async () => {
      key = (await gateway.keys.create({ tenant: 'team' })).key;
    });
    if (process.platform === 'linux')
      expect(onCreate.some((path) => WAL_SEGMENT.test(path))).toBe(true);
    else expect(onCreate.length).toBeGreaterThan(0);

    const principal = await gateway.authenticate(key);
    const admission = await gateway.begin(principal, { model: 'm' });
    const onCharge = await syncedDuring(() =>
      admission.finish({ inputTokens: 3, outputTokens: 4, status: 200 }),
    );
    if (process.platform === 'linux')
      expect(onCharge.some((path) => WAL_SEGMENT.test(path))).toBe(true);
    else expect(onCharge.length).toBeGreaterThan(0);
  }, 120_000);

  it('with durable: false, acknowledges without syncing (the check above can fail)', async () => {
    const gateway = await open(false);
    expect(await gateway.database.query('SHOW fsync')).toEqual([{ fsync: 'off' }]);
    await gateway.tenants.create({ name: 'team' });
    const onCreate = await syncedDuring(() => gateway.keys.create({ tenant: 'team' }));
    expect(onCreate).toEqual([]);
  }, 120_000);
});
