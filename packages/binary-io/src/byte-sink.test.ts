import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, LoadError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bufferSink,
  openByteSink,
  progressCounter,
  writeEncodedInChunks,
  writeInChunks,
  writeThenClose,
} from './byte-sink';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmr-binary-io-sink-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4]), new Uint8Array([5, 6])];

describe('openByteSink', () => {
  it('writes a file by path and by file: URL', async () => {
    for (const [name, input] of [
      ['a.bin', join(directory, 'a.bin')],
      ['b.bin', pathToFileURL(join(directory, 'b.bin'))],
    ] as const) {
      const sink = await openByteSink(input);
      for (const chunk of chunks) await sink.write(chunk);
      await sink.close();
      expect(Array.from(await readFile(join(directory, name)))).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('removes the file on abort', async () => {
    const path = join(directory, 'partial.bin');
    const sink = await openByteSink(path);
    await sink.write(chunks[0]!);
    await sink.abort(new Error('stop'));
    await expect(stat(path)).rejects.toThrow();
  });

  it('writes to a WritableStream and to an object with write()', async () => {
    const received: number[] = [];
    const stream = new WritableStream<Uint8Array>({
      write(chunk) {
        received.push(...chunk);
      },
    });
    const streamSink = await openByteSink(stream);
    for (const chunk of chunks) await streamSink.write(chunk);
    await streamSink.close();
    expect(received).toEqual([1, 2, 3, 4, 5, 6]);

    const written: number[] = [];
    let closed = false;
    const objectSink = await openByteSink({
      write: (chunk) => {
        written.push(...chunk);
      },
      close: () => {
        closed = true;
      },
    });
    for (const chunk of chunks) await objectSink.write(chunk);
    await objectSink.close();
    expect(written).toEqual([1, 2, 3, 4, 5, 6]);
    expect(closed).toBe(true);
  });

  it('refuses http(s) URLs, other values and unwritable paths', async () => {
    await expect(openByteSink('https://example.test/out.bin')).rejects.toSatisfy(
      InvalidArgumentError.isInstance,
    );
    await expect(openByteSink(42 as never)).rejects.toSatisfy(InvalidArgumentError.isInstance);
    await expect(openByteSink(join(directory, 'missing', 'x.bin'))).rejects.toSatisfy(
      LoadError.isInstance,
    );
  });
});

describe('bufferSink and writeInChunks', () => {
  it('fills a preallocated buffer in bounded chunks, reporting each', async () => {
    const bytes = Uint8Array.from({ length: 10 }, (_, index) => index);
    const output = new Uint8Array(10);
    const sink = bufferSink(output);
    const sizes: number[] = [];
    await writeInChunks(sink, bytes, { chunkBytes: 4, onChunk: (size) => sizes.push(size) });
    expect(sizes).toEqual([4, 4, 2]);
    expect(sink.written).toBe(10);
    expect(Array.from(output)).toEqual(Array.from(bytes));
  });

  it('stops on an aborted signal and refuses a bad chunk size', async () => {
    const controller = new AbortController();
    controller.abort();
    const sink = bufferSink(new Uint8Array(4));
    await expect(
      writeInChunks(sink, new Uint8Array(4), { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(sink.written).toBe(0);
    await expect(writeInChunks(sink, new Uint8Array(4), { chunkBytes: 0 })).rejects.toSatisfy(
      InvalidArgumentError.isInstance,
    );
  });
});

describe('writeEncodedInChunks, writeThenClose, progressCounter', () => {
  it('encodes slices of at most chunkLength values, writing each before the next', async () => {
    const values = Float32Array.from({ length: 7 }, (_, index) => index);
    const seen: number[] = [];
    const written: number[] = [];
    await writeEncodedInChunks(
      {
        write: async (chunk) => {
          written.push(...chunk);
        },
      },
      values,
      (slice) => {
        seen.push(slice.length);
        return Uint8Array.from(slice, (value) => value * 2);
      },
      { chunkLength: 3 },
    );
    expect(seen).toEqual([3, 3, 1]);
    expect(written).toEqual([0, 2, 4, 6, 8, 10, 12]);
  });

  it('closes after a successful write and aborts (removing a file) after a failure', async () => {
    const path = join(directory, 'then-close.bin');
    await writeThenClose(await openByteSink(path), (sink) => sink.write(chunks[0]!));
    expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
    const failing = join(directory, 'failing.bin');
    await expect(
      writeThenClose(await openByteSink(failing), async (sink) => {
        await sink.write(chunks[0]!);
        throw new Error('encode failed');
      }),
    ).rejects.toThrow('encode failed');
    await expect(stat(failing)).rejects.toThrow();
  });

  it('reports running totals', () => {
    const reports: { bytesWritten: number; totalBytes: number }[] = [];
    const progress = progressCounter(10, (report) => reports.push(report));
    progress(4);
    progress(6);
    expect(reports).toEqual([
      { bytesWritten: 4, totalBytes: 10 },
      { bytesWritten: 10, totalBytes: 10 },
    ]);
    progressCounter(10, undefined)(3);
  });
});
