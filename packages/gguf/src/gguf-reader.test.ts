import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openByteSource } from '@llmr/binary-io';
import { type RangeServer, startRangeServer } from '@llmr/binary-io/testing';
import { APICallError, LoadError, ParseError, UnsupportedFunctionalityError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dequantize } from './dequantize';
import { GgmlType } from './ggml-type';
import { openGguf, readGgufHeader } from './gguf-reader';
import { writeGgufToBuffer } from './gguf-writer';
import { quantize } from './quantize';

let directory: string;
let server: RangeServer;
let small: Uint8Array;
/** A file whose header (a 200k-token vocabulary) is about 5 MB, followed by 32 MB of tensor data. */
let large: Uint8Array;
const values = Float32Array.from({ length: 1024 }, (_, index) => (index % 17) - 8);

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmr-gguf-reader-'));
  small = await writeGgufToBuffer({
    metadata: { 'general.architecture': 'llama', 'llama.context_length': 2048 },
    tensors: [
      { name: 'a', dims: [32, 32], type: GgmlType.Q8_0, data: values },
      { name: 'b', dims: [1024], type: GgmlType.F16, data: values },
      { name: 'c', dims: [256], type: GgmlType.IQ2_XXS, data: new Uint8Array(66) },
    ],
  });
  const tokens = Array.from({ length: 200_000 }, (_, index) => `token-${index}`);
  large = await writeGgufToBuffer({
    metadata: {
      'general.architecture': 'llama',
      'tokenizer.ggml.tokens': tokens,
      'tokenizer.ggml.scores': new Float32Array(200_000),
    },
    tensors: [
      {
        name: 'big',
        dims: [1024, 8192],
        type: GgmlType.F32,
        data: () => new Float32Array(1024 * 8192).fill(0.5),
      },
    ],
  });
  await writeFile(join(directory, 'small.gguf'), small);
  await writeFile(join(directory, 'truncated.gguf'), small.subarray(0, small.byteLength - 100));
  server = await startRangeServer();
  server.files.set('small.gguf', small);
  server.files.set('large.gguf', large);
  server.files.set('truncated.gguf', small.subarray(0, small.byteLength - 100));
});

afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

async function checkSmall(source: Parameters<typeof openGguf>[0]) {
  const file = await openGguf(source);
  try {
    expect(file.metadata['llama.context_length']).toBe(2048);
    expect(file.tensors.map((tensor) => tensor.name)).toEqual(['a', 'b', 'c']);
    expect(Array.from(await file.readTensorFloat32('a'))).toEqual(
      Array.from(dequantize(quantize(values, GgmlType.Q8_0), GgmlType.Q8_0, 1024)),
    );
    expect(Array.from(await file.readTensorFloat32(file.getTensor('b')!))).toEqual(
      Array.from(values),
    );
    expect((await file.readTensorBytes('c')).byteLength).toBe(66);
    await expect(file.readTensorFloat32('c')).rejects.toThrow(UnsupportedFunctionalityError);
    await expect(file.readTensorBytes('missing')).rejects.toThrow(/No tensor named "missing"/);
  } finally {
    await file.close();
  }
}

describe('openGguf sources', () => {
  it('reads bytes, ArrayBuffers and Blobs', async () => {
    await checkSmall(small);
    await checkSmall(new Uint8Array(small).buffer);
    await checkSmall(new Blob([new Uint8Array(small)]));
  });

  it('reads a path and a file: URL', async () => {
    await checkSmall(join(directory, 'small.gguf'));
    await checkSmall(pathToFileURL(join(directory, 'small.gguf')));
    await checkSmall(pathToFileURL(join(directory, 'small.gguf')).href);
  });

  it('reads an already open ByteSource', async () => {
    await checkSmall(await openByteSource(small));
  });

  it('reads http(s) URLs with Range requests', async () => {
    await checkSmall(server.url('/range/small.gguf'));
    await checkSmall(new URL(server.url('/range/small.gguf')));
  });

  it('reads servers that ignore Range or hide the total size', async () => {
    await checkSmall(server.url('/no-range/small.gguf'));
    await checkSmall(server.url('/no-total/small.gguf'));
  });

  it('reads a long header by growing the window, without reading the tensor data', async () => {
    server.requests = 0;
    server.bytesSent = 0;
    const header = await readGgufHeader(server.url('/range/large.gguf'), {
      initialReadSize: 64 * 1024,
    });
    expect((header.metadata['tokenizer.ggml.tokens'] as string[])[199_999]).toBe('token-199999');
    expect(header.fileSize).toBe(large.byteLength);
    expect(header.headerSize).toBeGreaterThan(64 * 1024 * 16);
    // Growing 4x from 64 KiB: a handful of requests, at most 4x the header, not the tensor data.
    expect(server.requests).toBeLessThan(8);
    expect(server.bytesSent).toBeLessThanOrEqual(header.headerSize * 4);
    expect(server.bytesSent).toBeLessThan(large.byteLength / 2);
  });

  it('reads a long header from a server without ranges', async () => {
    const header = await readGgufHeader(server.url('/no-range/large.gguf'));
    expect(header.tensors[0]!.name).toBe('big');
    expect(header.fileSize).toBe(large.byteLength);
  });

  it('grows the window for files and Blobs too', async () => {
    const header = await readGgufHeader(new Blob([new Uint8Array(large)]), {
      initialReadSize: 1000,
    });
    expect(header.tensors).toHaveLength(1);
  });
});

describe('openGguf failures', () => {
  it('a missing file is a LoadError', async () => {
    await expect(openGguf(join(directory, 'missing.gguf'))).rejects.toThrow(LoadError);
  });

  it('HTTP errors are APICallErrors (5xx retryable)', async () => {
    const failure = openGguf(server.url('/status/503'));
    await expect(failure).rejects.toThrow(APICallError);
    await expect(failure).rejects.toMatchObject({ statusCode: 503, isRetryable: true });
    await expect(openGguf(server.url('/status/404'))).rejects.toMatchObject({
      statusCode: 404,
      isRetryable: false,
    });
  });

  it('a truncated file is a ParseError, before or while reading data', async () => {
    await expect(openGguf(join(directory, 'truncated.gguf'))).rejects.toMatchObject({
      code: 'gguf-out-of-bounds',
    });
    // Without a known size the header parses and the short tensor read fails.
    const file = await openGguf(server.url('/no-total/truncated.gguf'));
    expect(file.fileSize).toBeUndefined();
    await expect(file.readTensorBytes('c')).rejects.toMatchObject({ code: 'gguf-truncated' });
    await file.close();
  });

  it('refuses headers longer than maxHeaderSize', async () => {
    await expect(
      readGgufHeader(new Blob([new Uint8Array(large)]), {
        limits: { maxHeaderSize: 100_000 },
        initialReadSize: 1000,
      }),
    ).rejects.toMatchObject({
      code: 'gguf-limit-exceeded',
    });
  });

  it('not a GGUF file', async () => {
    const error = await readGgufHeader(new TextEncoder().encode('{"hello": "json"}')).catch(
      (caught) => caught,
    );
    expect(ParseError.isInstance(error)).toBe(true);
    expect(error.code).toBe('gguf-invalid-magic');
  });

  it('aborts HTTP reads with the signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      readGgufHeader(server.url('/range/small.gguf'), { signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'aborted' });
  });
});
