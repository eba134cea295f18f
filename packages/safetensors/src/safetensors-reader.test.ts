import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RangeServer, startRangeServer } from '@llmr/binary-io/testing';
import { LoadError, ParseError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFloat32 } from './safetensors-dtype';
import { openSafetensors, readSafetensorsHeader } from './safetensors-reader';
import { writeSafetensorsToBuffer } from './safetensors-writer';

let directory: string;
let server: RangeServer;
let small: Uint8Array;
/** 2,000 tensors (a ~200 KB header) and 8 MB of data. */
let large: Uint8Array;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmr-safetensors-reader-'));
  small = await writeSafetensorsToBuffer(
    [
      { name: 'weight', dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      { name: 'half', dtype: 'F16', shape: [2], data: new Float32Array([0.5, -8]) },
      { name: 'mask', dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      { name: 'ids', dtype: 'I64', shape: [2], data: new BigInt64Array([-1n, 2n ** 40n]) },
    ],
    { metadata: { format: 'pt' } },
  );
  large = await writeSafetensorsToBuffer([
    ...Array.from({ length: 2000 }, (_, index) => ({
      name: `model.layers.${index}.small_norm.weight`,
      dtype: 'F32' as const,
      shape: [4],
      data: new Float32Array(4).fill(index),
    })),
    {
      name: 'embed',
      dtype: 'F32',
      shape: [2048, 1024],
      data: () => new Float32Array(2048 * 1024).fill(0.25),
    },
  ]);
  await writeFile(join(directory, 'small.safetensors'), small);
  server = await startRangeServer();
  server.files.set('small.safetensors', small);
  server.files.set('large.safetensors', large);
  server.files.set('truncated.safetensors', small.subarray(0, small.byteLength - 3));
});
afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

async function checkSmall(source: Parameters<typeof openSafetensors>[0]) {
  const file = await openSafetensors(source);
  try {
    expect(file.metadata.format).toBe('pt');
    expect(Array.from(await file.readFloat32('weight'))).toEqual([1, 2, 3, 4]);
    expect(Array.from(await file.readTensorFloat32('half'))).toEqual([0.5, -8]);
    expect(Array.from(await file.readFloat32('mask'))).toEqual([1, 0, 1]);
    expect(Array.from(await file.readFloat32('ids'))).toEqual([-1, 2 ** 40]);
    const ids = await file.readTensor('ids');
    expect(Array.from(ids.data as BigInt64Array)).toEqual([-1n, 2n ** 40n]);
    expect(file.has('weight')).toBe(true);
    expect(() => file.shape('nope')).toThrow(/No tensor named "nope"/);
  } finally {
    await file.close();
  }
}

describe('openSafetensors', () => {
  it('reads bytes, Blobs, paths and URLs', async () => {
    await checkSmall(small);
    await checkSmall(new Blob([new Uint8Array(small)]));
    await checkSmall(join(directory, 'small.safetensors'));
    await checkSmall(server.url('/range/small.safetensors'));
    await checkSmall(server.url('/no-range/small.safetensors'));
    await checkSmall(server.url('/no-total/small.safetensors'));
  });

  it('reads a header larger than the first read in a second request, and each tensor by its own range', async () => {
    server.requests = 0;
    server.bytesSent = 0;
    const file = await openSafetensors(server.url('/range/large.safetensors'), {
      initialReadSize: 4096,
    });
    expect(file.headerSize).toBeGreaterThan(4096);
    expect(server.requests).toBe(2);
    expect(server.bytesSent).toBe(8 + file.headerSize);
    expect(Array.from(await file.readFloat32('model.layers.1234.small_norm.weight'))).toEqual([
      1234, 1234, 1234, 1234,
    ]);
    expect(server.bytesSent).toBe(8 + file.headerSize + 16);
    expect(file.names).toHaveLength(2001);
    await file.close();
  });

  it('reads only the header with readSafetensorsHeader', async () => {
    const header = await readSafetensorsHeader(new Blob([new Uint8Array(large)]));
    expect(header.tensors[0]!.name).toBe('embed'); // reference order: same dtype, then by name
    expect(header.fileSize).toBe(large.byteLength);
  });

  it('views aligned data in memory without copying, and copies misaligned data', async () => {
    const file = await openSafetensors(small);
    const weight = await file.readTensor('weight');
    expect(weight.data.buffer).toBe(small.buffer);
    const shifted = new Uint8Array(small.byteLength + 1);
    shifted.set(small, 1);
    const misaligned = await openSafetensors(shifted.subarray(1));
    expect(Array.from((await misaligned.readTensor('weight')).data as Float32Array)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('converts every float and integer dtype to float32', () => {
    expect(Array.from(toFloat32('F8_E4M3', Uint8Array.of(0x38, 0xb8, 0x7e, 0x01)))).toEqual([
      1,
      -1,
      448,
      2 ** -9,
    ]);
    expect(Number.isNaN(toFloat32('F8_E4M3', Uint8Array.of(0x7f))[0])).toBe(true);
    expect(Array.from(toFloat32('F8_E5M2', Uint8Array.of(0x3c, 0xc0)))).toEqual([1, -2]);
    expect(Array.from(toFloat32('BF16', Uint8Array.of(0x80, 0x3f)))).toEqual([1]);
    expect(Array.from(toFloat32('U16', Uint8Array.of(0xff, 0xff)))).toEqual([65535]);
    expect(Array.from(toFloat32('I8', Uint8Array.of(0xff)))).toEqual([-1]);
    expect(Array.from(toFloat32('U64', new Uint8Array(new BigUint64Array([7n]).buffer)))).toEqual([
      7,
    ]);
    expect(Array.from(toFloat32('F64', new Uint8Array(new Float64Array([0.5]).buffer)))).toEqual([
      0.5,
    ]);
  });
});

describe('openSafetensors failures', () => {
  it('a missing file is a LoadError', async () => {
    await expect(openSafetensors(join(directory, 'missing.safetensors'))).rejects.toThrow(
      LoadError,
    );
  });

  it('a truncated file is a ParseError, at open or when reading when the size is unknown', async () => {
    await expect(openSafetensors(server.url('/range/truncated.safetensors'))).rejects.toMatchObject(
      { code: 'safetensors-incomplete-buffer' },
    );
    const file = await openSafetensors(server.url('/no-total/truncated.safetensors'));
    await expect(file.readTensorBytes('mask')).rejects.toMatchObject({
      code: 'safetensors-truncated',
    });
    await file.close();
  });

  it('a GGUF file is not safetensors', async () => {
    const gguf = new Uint8Array(64);
    gguf.set([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]);
    const error = await openSafetensors(gguf).catch((caught) => caught);
    expect(ParseError.isInstance(error)).toBe(true);
    expect(error.code).toBe('safetensors-header-too-large');
  });
});
