/**
 * Two processes downloading the same blob into one cache, from a loopback HTTP server
 * that serves the file slowly enough for them to overlap: one downloads, the other waits
 * for the lock and finds the blob done, and the blob is whole (without the lock both
 * append to one `.incomplete`, and the bytes interleave).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireBlobLock } from './blob-lock';

const child = fileURLToPath(new URL('./__fixtures__/download-blob-child.ts', import.meta.url));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((step) => step()));
});

/** Serves `content` in 32 KiB pieces, 10 ms apart (Range requests honoured); counts bytes sent. */
async function slowFileServer(content: Buffer) {
  const served = { requests: 0, bytes: 0 };
  const server: Server = createServer(async (request, response) => {
    served.requests++;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    response.writeHead(range ? 206 : 200, {
      'content-length': content.length - start,
      ...(range
        ? { 'content-range': `bytes ${start}-${content.length - 1}/${content.length}` }
        : {}),
    });
    for (let offset = start; offset < content.length; offset += 32 * 1024) {
      if (response.destroyed) return;
      const piece = content.subarray(offset, Math.min(content.length, offset + 32 * 1024));
      served.bytes += piece.length;
      response.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    response.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/model.gguf`, served };
}

function runChild(args: string[]) {
  const process_ = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  process_.stdout.on('data', (chunk) => {
    output += chunk;
  });
  process_.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    process_.on('exit', (code) => resolve({ code, output })),
  );
}

async function temporaryFolder() {
  const folder = await mkdtemp(join(tmpdir(), 'llmr-blob-lock-'));
  cleanup.push(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

describe('downloads of one blob from two processes', () => {
  it('downloads once, the other process waits, and the blob is whole', async () => {
    const content = randomBytes(2 * 1024 * 1024);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const { url, served } = await slowFileServer(content);
    const folder = await temporaryFolder();
    const blobPath = join(folder, 'blobs', sha256);
    const args = [url, blobPath, String(content.length), sha256];
    const [first, second] = await Promise.all([runChild(args), runChild(args)]);
    expect(first.code, first.output).toBe(0);
    expect(second.code, second.output).toBe(0);
    const results = [first, second].map(
      ({ output }) =>
        JSON.parse(output.trim().split('\n').at(-1)!) as {
          transferred: number;
          waitedFor?: string;
        },
    );
    // One transferred the file; the other waited for it and transferred nothing.
    expect(results.map((result) => result.transferred).sort((a, b) => a - b)).toEqual([
      0,
      content.length,
    ]);
    expect(results.find((result) => result.transferred === 0)?.waitedFor).toMatch(/^\d+@/);
    expect(served.bytes).toBe(content.length);
    expect(
      createHash('sha256')
        .update(await readFile(blobPath))
        .digest('hex'),
    ).toBe(sha256);
    expect(await readdir(join(folder, 'blobs'))).toEqual([sha256]);
  }, 60_000);
});

describe('the blob lock', () => {
  it('breaks a lock whose process on this host is gone', async () => {
    const folder = await temporaryFolder();
    const lock = join(folder, 'x.lock');
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await writeFile(lock, `${gone.pid}@${hostname()}`);
    const release = await acquireBlobLock(lock, { pollMs: 10 });
    expect(await readFile(lock, 'utf8')).toBe(`${process.pid}@${hostname()}`);
    await release();
    await expect(readFile(lock)).rejects.toThrow(/ENOENT/);
  });

  it('breaks a lock nobody has touched for staleMs, and keeps a fresh one', async () => {
    const folder = await temporaryFolder();
    const lock = join(folder, 'y.lock');
    // A live process on another host: only its silence can free the lock.
    await writeFile(lock, '1@another-host');
    const waiter = new AbortController();
    let waitedFor: string | undefined;
    const pending = acquireBlobLock(lock, {
      staleMs: 60_000,
      pollMs: 10,
      abortSignal: waiter.signal,
      onWait: (holder) => {
        waitedFor = holder;
      },
    });
    await expect.poll(() => waitedFor).toBe('1@another-host');
    waiter.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(await readFile(lock, 'utf8')).toBe('1@another-host');

    const release = await acquireBlobLock(lock, { staleMs: 1, pollMs: 10 });
    expect(await readFile(lock, 'utf8')).toBe(`${process.pid}@${hostname()}`);
    await release();
  });
});
