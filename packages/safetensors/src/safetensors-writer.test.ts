import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float16BitsToFloat32 } from '@llmr/binary-io';
import { InvalidArgumentError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAFETENSORS_DTYPE_SIZES, SAFETENSORS_DTYPES } from './safetensors-dtype';
import { parseSafetensorsHeader } from './safetensors-header';
import { openSafetensors } from './safetensors-reader';
import {
  type SafetensorsWriteTensor,
  writeSafetensors,
  writeSafetensorsToBuffer,
} from './safetensors-writer';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmr-safetensors-writer-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('writeSafetensors', () => {
  it('writes the same bytes as the reference implementation', async () => {
    const bytes = await writeSafetensorsToBuffer(
      [
        { name: 'b', dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x4000, 0xc000]) },
        { name: 'a', dtype: 'F32', shape: [2], data: new Float32Array([1, -1]) },
      ],
      { metadata: { format: 'pt' } },
    );
    // serde_json output, largest dtype first, padded with spaces to a multiple of 8.
    const json =
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    expect(new DataView(bytes.buffer).getBigUint64(0, true)).toBe(BigInt(padded.length));
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded.length))).toBe(padded);
    expect(Array.from(bytes.subarray(8 + padded.length))).toEqual([
      0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xbf, 0x00, 0x3c, 0x00, 0x40, 0x00, 0xc0,
    ]);
    expect((8 + padded.length) % 8).toBe(0);
  });

  it('round-trips every dtype, and keeps each tensor aligned to its element size', async () => {
    const tensors: SafetensorsWriteTensor[] = SAFETENSORS_DTYPES.map((dtype, index) => {
      const size = SAFETENSORS_DTYPE_SIZES[dtype];
      return {
        name: `t${index}.${dtype}`,
        dtype,
        shape: [2, (index % 3) + 1],
        data: Uint8Array.from(
          { length: size * 2 * ((index % 3) + 1) },
          (_, byte) => (byte * 7 + index) & 0xff,
        ),
      };
    });
    const bytes = await writeSafetensorsToBuffer(tensors, { metadata: { note: 'all dtypes' } });
    const file = await openSafetensors(bytes);
    expect(file.metadata).toEqual(Object.assign(Object.create(null), { note: 'all dtypes' }));
    expect([...file.names].sort()).toEqual(tensors.map((tensor) => tensor.name).sort());
    for (const tensor of tensors) {
      const info = file.getTensor(tensor.name)!;
      expect(info.dtype).toBe(tensor.dtype);
      expect(info.shape).toEqual(tensor.shape);
      expect((file.dataOffset + info.dataOffsets[0]) % SAFETENSORS_DTYPE_SIZES[tensor.dtype]).toBe(
        0,
      );
      expect(await file.readTensorBytes(tensor.name)).toEqual(tensor.data);
    }
    const f64 = await file.readTensor('t0.F64');
    expect(f64.data).toBeInstanceOf(Float64Array);
    const i64 = await file.readTensor('t4.I64');
    expect(i64.data).toBeInstanceOf(BigInt64Array);
  });

  it('converts float32 values for F16, BF16 and F64 tensors', async () => {
    const values = new Float32Array([1, -2, 0.5, 3.25]);
    const bytes = await writeSafetensorsToBuffer([
      { name: 'half', dtype: 'F16', shape: [4], data: values },
      { name: 'brain', dtype: 'BF16', shape: [2, 2], data: values },
      { name: 'double', dtype: 'F64', shape: [4], data: values },
    ]);
    const file = await openSafetensors(bytes);
    for (const name of ['half', 'brain', 'double'])
      expect(Array.from(await file.readFloat32(name))).toEqual([1, -2, 0.5, 3.25]);
    const half = (await file.readTensor('half')).data as Uint16Array;
    expect(float16BitsToFloat32(half[3]!)).toBe(3.25);
  });

  it('keeps the given order with preserveOrder', async () => {
    const tensors = [
      { name: 'z', dtype: 'U8' as const, shape: [1], data: new Uint8Array(1) },
      { name: 'a', dtype: 'F32' as const, shape: [1], data: new Float32Array(1) },
    ];
    expect(
      parseSafetensorsHeader(await writeSafetensorsToBuffer(tensors)).tensors.map(
        (info) => info.name,
      ),
    ).toEqual(['a', 'z']);
    expect(
      parseSafetensorsHeader(
        await writeSafetensorsToBuffer(tensors, { preserveOrder: true }),
      ).tensors.map((info) => info.name),
    ).toEqual(['z', 'a']);
  });

  it('streams lazily to a file path (the call shape the fixtures package uses)', async () => {
    const path = join(directory, 'model.safetensors');
    const loaded: string[] = [];
    async function* tensors(): AsyncGenerator<SafetensorsWriteTensor> {
      for (let layer = 0; layer < 3; layer++) {
        yield {
          name: `layers.${layer}.weight`,
          dtype: 'F32',
          shape: [4, 8],
          data: async () => {
            loaded.push(`layers.${layer}.weight`);
            return Float32Array.from({ length: 32 }, (_, index) => layer + index / 32);
          },
        };
      }
    }
    const result = await writeSafetensors(path, tensors(), { metadata: { format: 'pt' } });
    expect(loaded).toHaveLength(3);
    expect((await stat(path)).size).toBe(result.byteLength);
    const file = await openSafetensors(path);
    expect((await file.readFloat32('layers.2.weight'))[16]).toBe(2.5);
    expect(file.shape('layers.1.weight')).toEqual([4, 8]);
    expect(file.dtype('layers.1.weight')).toBe('F32');
    await file.close();
    expect(await readFile(path)).toEqual(
      Buffer.from(await writeSafetensorsToBuffer(tensors(), { metadata: { format: 'pt' } })),
    );
  });

  it('writes to a WritableStream, reporting progress', async () => {
    const chunks: Uint8Array[] = [];
    const progress: number[] = [];
    const result = await writeSafetensors(
      new WritableStream({ write: (chunk) => void chunks.push(chunk.slice()) }),
      [{ name: 'x', dtype: 'I32', shape: [3], data: new Int32Array([1, 2, 3]) }],
      { onProgress: ({ bytesWritten }) => progress.push(bytesWritten) },
    );
    expect(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)).toBe(result.byteLength);
    expect(progress.at(-1)).toBe(result.byteLength);
  });

  it('removes a partly written file on failure', async () => {
    const path = join(directory, 'broken.safetensors');
    await expect(
      writeSafetensors(path, [
        { name: 'a', dtype: 'F32', shape: [1], data: new Float32Array(1) },
        { name: 'b', dtype: 'F32', shape: [2], data: () => new Float32Array(3) },
      ]),
    ).rejects.toThrow(/12 bytes given/);
    await expect(stat(path)).rejects.toThrow();
  });

  const invalid: [string, SafetensorsWriteTensor[], Record<string, unknown> | undefined, RegExp][] =
    [
      [
        'duplicate names',
        [0, 1].map(() => ({
          name: 'a',
          dtype: 'U8' as const,
          shape: [1],
          data: new Uint8Array(1),
        })),
        undefined,
        /twice/,
      ],
      [
        'an unknown dtype',
        [{ name: 'a', dtype: 'F128' as 'F32', shape: [1], data: new Uint8Array(16) }],
        undefined,
        /unknown dtype/,
      ],
      [
        'a negative size',
        [{ name: 'a', dtype: 'U8', shape: [-1], data: new Uint8Array(0) }],
        undefined,
        /non-negative/,
      ],
      [
        'the reserved name',
        [{ name: '__metadata__', dtype: 'U8', shape: [1], data: new Uint8Array(1) }],
        undefined,
        /reserved/,
      ],
      [
        'float32 data for an integer dtype',
        [{ name: 'a', dtype: 'I16', shape: [2], data: new Float32Array(2) }],
        undefined,
        /8 bytes given/,
      ],
      ['a non-string metadata value', [], { n: 1 }, /must be strings/],
    ];
  for (const [what, tensors, metadata, message] of invalid) {
    it(`refuses ${what}`, async () => {
      const attempt = writeSafetensorsToBuffer(tensors, {
        metadata: metadata as Record<string, string>,
      });
      await expect(attempt).rejects.toThrow(InvalidArgumentError);
      await expect(attempt).rejects.toThrow(message);
    });
  }
});
