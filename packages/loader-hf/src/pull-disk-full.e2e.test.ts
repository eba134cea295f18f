/**
 * A disk that fills up during a pull. The hub is the loopback test server (real HTTP);
 * the disk is a test double: a full disk cannot safely be made on a shared machine, so
 * `node:fs/promises` `open` is wrapped to make writes to `.incomplete` files fail with
 * ENOSPC once a byte budget is spent, the way a full file system answers.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildHubModels, type HubModels } from './__fixtures__/hub-models';
import { formatBytes, HfError } from './hf-error';
import { pullHfModel } from './pull';
import { createHubTestServer, type HubTestServer } from './testing/index';

/** Test double of a disk with `bytesLeft` free; unlimited while undefined. */
const fullDiskDouble = vi.hoisted(() => ({ bytesLeft: undefined as number | undefined }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    if (String(args[0]).endsWith('.incomplete')) {
      const write = handle.write.bind(handle) as (
        chunk: Uint8Array,
        offset?: number,
      ) => Promise<{ bytesWritten: number }>;
      Object.assign(handle, {
        // Like write(2) on a file system that fills up: a short write takes what fits,
        // the next one fails with ENOSPC.
        write: async (chunk: Uint8Array, offset = 0) => {
          const left = fullDiskDouble.bytesLeft;
          if (left === undefined) return write(chunk, offset);
          if (left === 0) {
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
              code: 'ENOSPC',
              errno: -28,
              syscall: 'write',
            });
          }
          const part = chunk.subarray(offset, offset + Math.min(left, chunk.byteLength - offset));
          const result = await write(part);
          fullDiskDouble.bytesLeft = left - result.bytesWritten;
          return { ...result, buffer: chunk };
        },
      });
    }
    return handle;
  };
  return { ...actual, default: { ...actual, open }, open };
});

const GGUF = 'llmr/tiny-GGUF';
let models: HubModels;
let hub: HubTestServer;
let tmpRoot: string;

beforeAll(async () => {
  tmpRoot = await mkdtemp(join(tmpdir(), 'llmr-hf-disk-full-'));
  models = await buildHubModels();
  hub = await createHubTestServer({ repos: { [GGUF]: { files: models.gguf } } });
});

afterAll(async () => {
  await hub?.close();
  await models?.remove();
  if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
});

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

describe('a disk that fills up during a hub download', () => {
  it('fails with hf-disk-full naming the cache disk, keeps the bytes to resume, and the next pull finishes', async () => {
    const cacheDir = join(tmpRoot, 'cache');
    const content = models.gguf['tiny-Q8_0.gguf'] as Uint8Array;
    const digest = createHash('sha256').update(content).digest('hex');
    const blobs = join(cacheDir, `models--${GGUF.replace('/', '--')}`, 'blobs');
    const blob = join(blobs, digest);
    const options = { endpoint: hub.url, cacheDir, retryDelayMs: 5, offline: false };

    // Less room than the file needs: the download must hit ENOSPC part-way.
    fullDiskDouble.bytesLeft = Math.floor(content.byteLength / 3);
    const budget = fullDiskDouble.bytesLeft;
    const error = await pullHfModel(`hf:${GGUF}:Q8_0`, options).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(HfError.isInstance(error), `expected an HfError, got ${String(error)}`).toBe(true);
    expect((error as HfError).code).toBe('hf-disk-full');
    expect((error as HfError).message).toContain('No space left on the disk of');
    expect((error as HfError).message).toContain(cacheDir);
    expect((error as HfError).message).toContain('tiny-Q8_0.gguf');
    expect(((error as HfError).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');

    // What the code intends: the bytes written stay in .incomplete for a resume, the lock
    // is released, and nothing is left under the blob's own name.
    const kept = budget - (fullDiskDouble.bytesLeft ?? 0);
    // Some bytes fit before the disk filled, so the next pull has bytes to resume from.
    expect(kept).toBeGreaterThan(0);
    // What the file still needs counts only the bytes that reached the disk.
    expect((error as HfError).message).toContain(
      `(${formatBytes(content.byteLength - kept)} for this file)`,
    );
    expect((await stat(`${blob}.incomplete`)).size).toBe(kept);
    expect(
      Buffer.from(await readFile(`${blob}.incomplete`)).equals(content.subarray(0, kept)),
    ).toBe(true);
    expect(await exists(`${blob}.lock`)).toBe(false);
    expect(await exists(blob)).toBe(false);
    expect(await readdir(blobs)).toEqual([`${digest}.incomplete`]);

    // With space again, the next pull resumes from the kept bytes and verifies the blob.
    fullDiskDouble.bytesLeft = undefined;
    const result = await pullHfModel(`hf:${GGUF}:Q8_0`, options);
    expect(result.files).toEqual([
      expect.objectContaining({ path: 'tiny-Q8_0.gguf', status: 'downloaded', resumedFrom: kept }),
    ]);
    expect(Buffer.from(await readFile(blob)).equals(Buffer.from(content))).toBe(true);
    expect(await readdir(blobs)).toEqual([digest]);
  });
});
