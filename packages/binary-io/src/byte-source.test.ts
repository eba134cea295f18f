import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APICallError, InvalidArgumentError, LoadError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ByteSource,
  isByteSource,
  openByteSource,
  openByteSourceWith,
  toByteSource,
  withByteSource,
} from './byte-source';
import { type RangeServer, startRangeServer } from './testing/range-server';

const bytes = Uint8Array.from({ length: 300_000 }, (_, index) => (index * 7) & 0xff);
let directory: string;
let path: string;
let server: RangeServer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmr-binary-io-'));
  path = join(directory, 'data.bin');
  await writeFile(path, bytes);
  server = await startRangeServer();
  server.files.set('data.bin', bytes);
  // Large enough that socket buffers cannot swallow it whole, so early cancels show.
  server.files.set('big.bin', new Uint8Array(16 * 1024 * 1024));
});

afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

async function readAll(source: ByteSource, offset: number, length: number) {
  try {
    return Array.from(await source.read(offset, length));
  } finally {
    await source.close();
  }
}

const expected = (offset: number, length: number) =>
  Array.from(bytes.subarray(offset, offset + length));

describe('openByteSource', () => {
  it('reads ranges from bytes, ArrayBuffers, typed-array views and Blobs', async () => {
    const view = new Uint8Array(bytes.buffer, 10, 1000);
    for (const input of [bytes, bytes.buffer, new Blob([bytes])]) {
      const source = await openByteSource(input);
      expect(source.size).toBe(bytes.byteLength);
      expect(await readAll(source, 123, 50)).toEqual(expected(123, 50));
    }
    const offsetView = await openByteSource(view);
    expect(offsetView.inMemory).toBe(true);
    expect(await readAll(offsetView, 0, 4)).toEqual(expected(10, 4));
  });

  it('reads a path and a file: URL (string or URL)', async () => {
    for (const input of [path, pathToFileURL(path), pathToFileURL(path).href]) {
      const source = await openByteSource(input);
      expect(source.size).toBe(bytes.byteLength);
      expect(await readAll(source, 299_990, 100)).toEqual(expected(299_990, 10));
    }
  });

  it('reads http(s) ranges, learning the size from the first answer', async () => {
    const source = await openByteSource(server.url('/range/data.bin'));
    expect(source.size).toBeUndefined();
    server.bytesSent = 0;
    expect(Array.from(await source.read(1000, 16))).toEqual(expected(1000, 16));
    expect(source.size).toBe(bytes.byteLength);
    expect(server.bytesSent).toBe(16);
    // Past the end: a 416 before the size is known, a clamp after.
    expect(await readAll(source, bytes.byteLength + 5, 10)).toEqual([]);
  });

  it('reads servers that ignore Range or hide the total, without reading everything', async () => {
    const hidden = await openByteSource(new URL(server.url('/no-total/data.bin')));
    expect(await readAll(hidden, 5, 5)).toEqual(expected(5, 5));
    expect(hidden.size).toBeUndefined();
    server.bytesSent = 0;
    const ignoring = await openByteSource(server.url('/no-range/data.bin'));
    expect(await readAll(ignoring, 70_000, 8)).toEqual(expected(70_000, 8));
    expect(ignoring.size).toBe(bytes.byteLength);
    const big = await openByteSource(server.url('/no-range/big.bin'));
    server.bytesSent = 0;
    expect(await readAll(big, 100, 4)).toEqual([0, 0, 0, 0]);
    expect(server.bytesSent).toBeLessThan(8 * 1024 * 1024);
  });

  it('a 416 tells the size', async () => {
    const source = await openByteSource(server.url('/range/data.bin'));
    expect(await source.read(bytes.byteLength, 4)).toHaveLength(0);
    expect(source.size).toBe(bytes.byteLength);
  });

  it('HTTP failures are APICallErrors (5xx retryable)', async () => {
    const failing = await openByteSource(server.url('/status/503'));
    const error = await failing.read(0, 4).catch((caught: unknown) => caught);
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(503);
    expect((error as APICallError).isRetryable).toBe(true);
    const unreachable = await openByteSource('http://127.0.0.1:1/x', {
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(unreachable.read(0, 1)).rejects.toSatisfy(APICallError.isInstance);
  });

  it('sends the given headers and honours the signal', async () => {
    const seen: Headers[] = [];
    const source = await openByteSource('https://example.test/model', {
      headers: { authorization: 'Bearer token' },
      fetch: async (_url, init) => {
        seen.push(new Headers(init?.headers));
        return new Response(bytes.slice(0, 4), {
          status: 206,
          headers: { 'content-range': `bytes 0-3/${bytes.byteLength}` },
        });
      },
    });
    expect(Array.from(await source.read(0, 4))).toEqual(expected(0, 4));
    expect(seen[0]?.get('authorization')).toBe('Bearer token');
    expect(seen[0]?.get('range')).toBe('bytes=0-3');
    const controller = new AbortController();
    controller.abort();
    const aborted = await openByteSource(server.url('/range/data.bin'), {
      signal: controller.signal,
    });
    await expect(aborted.read(0, 4)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses a server that answers the wrong range', async () => {
    const source = await openByteSource('https://example.test/model', {
      fetch: async () =>
        new Response(new Uint8Array(4), {
          status: 206,
          headers: { 'content-range': 'bytes 0-3/100' },
        }),
    });
    await expect(source.read(10, 4)).rejects.toThrow(/does not honour Range/);
  });

  it('a missing file is a LoadError; bad inputs and ranges are InvalidArgumentErrors', async () => {
    const missing = await openByteSource(join(directory, 'missing.bin')).catch((error) => error);
    expect(LoadError.isInstance(missing)).toBe(true);
    expect((missing as LoadError).code).toBe('file-open-failed');
    await expect(openByteSource(new URL('ftp://example.test/x'))).rejects.toSatisfy(
      InvalidArgumentError.isInstance,
    );
    await expect(openByteSource(42 as never)).rejects.toSatisfy(InvalidArgumentError.isInstance);
    const source = await openByteSource(bytes);
    await expect(source.read(-1, 4)).rejects.toSatisfy(InvalidArgumentError.isInstance);
    await expect(source.read(0, 2 ** 60)).rejects.toSatisfy(InvalidArgumentError.isInstance);
  });
});

describe('isByteSource, toByteSource, withByteSource', () => {
  it('recognises sources by shape', async () => {
    const source = await openByteSource(bytes);
    expect(isByteSource(source)).toBe(true);
    expect(isByteSource({ read() {}, close() {}, size: undefined })).toBe(true);
    expect(isByteSource(bytes)).toBe(false);
    expect(isByteSource(null)).toBe(false);
    expect(isByteSource({ read() {}, close() {} })).toBe(false);
    expect(await toByteSource(source)).toBe(source);
    expect((await toByteSource(bytes)).size).toBe(bytes.byteLength);
  });

  it('closes only the sources it opened', async () => {
    let closed = 0;
    const own: ByteSource = {
      name: 'own',
      size: 4,
      read: async () => new Uint8Array([1, 2, 3, 4]),
      close: async () => {
        closed++;
      },
    };
    expect(await withByteSource(own, {}, async (source) => source.read(0, 4))).toHaveLength(4);
    expect(closed).toBe(0);
    let opened: ByteSource | undefined;
    await expect(
      withByteSource(path, {}, async (source) => {
        opened = source;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // The file handle is closed: another read fails.
    await expect(opened!.read(0, 1)).rejects.toSatisfy(LoadError.isInstance);
  });

  it('openByteSourceWith returns the source and the parsed value, closing it on failure', async () => {
    const { source, value } = await openByteSourceWith(bytes, {}, async (opened) =>
      Array.from(await opened.read(0, 2)),
    );
    expect(value).toEqual(expected(0, 2));
    expect(isByteSource(source)).toBe(true);
    let closed = false;
    const own: ByteSource = {
      name: 'own',
      size: 0,
      read: async () => new Uint8Array(0),
      close: async () => {
        closed = true;
      },
    };
    await expect(
      openByteSourceWith(own, {}, async () => {
        throw new Error('not this format');
      }),
    ).rejects.toThrow('not this format');
    expect(closed).toBe(true);
  });
});
