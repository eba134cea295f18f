import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dequantize } from './dequantize';
import { GgmlType, ggmlTypeInfo } from './ggml-type';
import { parseGgufHeader } from './gguf-header-parser';
import { openGguf } from './gguf-reader';
import { GgufValueType } from './gguf-types';
import { type GgufWriteTensor, writeGguf, writeGgufToBuffer } from './gguf-writer';
import { quantize } from './quantize';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmr-gguf-writer-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function ramp(count: number, scale = 0.01): Float32Array {
  return Float32Array.from(
    { length: count },
    (_, index) => Math.sin(index * 0.37) * scale * (1 + (index % 7)),
  );
}

describe('writeGguf -> readGguf round trip', () => {
  it('keeps every metadata type, explicitly typed', async () => {
    const typed = {
      u8: { type: GgufValueType.UINT8, value: 255 },
      i8: { type: GgufValueType.INT8, value: -128 },
      u16: { type: GgufValueType.UINT16, value: 65535 },
      i16: { type: GgufValueType.INT16, value: -32768 },
      u32: { type: GgufValueType.UINT32, value: 4294967295 },
      i32: { type: GgufValueType.INT32, value: -2147483648 },
      f32: { type: GgufValueType.FLOAT32, value: 0.5 },
      bool: { type: GgufValueType.BOOL, value: true },
      string: { type: GgufValueType.STRING, value: 'héllo ✓ \u{1f600}' },
      u64: { type: GgufValueType.UINT64, value: 2n ** 64n - 1n },
      i64: { type: GgufValueType.INT64, value: -(2n ** 63n) },
      f64: { type: GgufValueType.FLOAT64, value: Math.PI },
      u8s: { type: GgufValueType.ARRAY, itemType: GgufValueType.UINT8, value: [0, 1, 255] },
      i64s: { type: GgufValueType.ARRAY, itemType: GgufValueType.INT64, value: [-1n, 5n] },
      f64s: { type: GgufValueType.ARRAY, itemType: GgufValueType.FLOAT64, value: [0.1, -0.2] },
      bools: { type: GgufValueType.ARRAY, itemType: GgufValueType.BOOL, value: [true, false] },
      strings: { type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value: ['a', '', 'ü'] },
      empty: { type: GgufValueType.ARRAY, itemType: GgufValueType.INT16, value: [] },
      nested: {
        type: GgufValueType.ARRAY,
        itemType: GgufValueType.ARRAY,
        value: [
          { type: GgufValueType.ARRAY, itemType: GgufValueType.UINT16, value: [1, 2] },
          { type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value: ['x'] },
          {
            type: GgufValueType.ARRAY,
            itemType: GgufValueType.ARRAY,
            value: [{ type: GgufValueType.ARRAY, itemType: GgufValueType.INT8, value: [-3] }],
          },
        ],
      },
    } as const;
    const bytes = await writeGgufToBuffer({ metadata: typed });
    const header = parseGgufHeader(bytes);
    expect(header.version).toBe(3);
    expect(Object.keys(header.metadata)).toEqual(Object.keys(typed));
    expect(header.typedMetadata).toEqual(typed);
    expect(header.metadata.nested).toEqual([[1, 2], ['x'], [[-3]]]);
    // Writing the read metadata back gives the same bytes.
    expect(await writeGgufToBuffer({ metadata: header.typedMetadata })).toEqual(bytes);
  });

  it('infers types from llama.cpp keys and from values', async () => {
    const bytes = await writeGgufToBuffer({
      metadata: {
        'general.architecture': 'llama',
        'llama.context_length': 4096,
        'llama.rope.freq_base': 10000,
        'llama.attention.layer_norm_rms_epsilon': 1e-5,
        'llama.attention.head_count_kv': [8, 8, 4],
        'tokenizer.ggml.tokens': ['<s>', 'a'],
        'tokenizer.ggml.scores': [0, -1],
        'tokenizer.ggml.token_type': [3, 1],
        'tokenizer.ggml.bos_token_id': 1,
        'tokenizer.ggml.add_bos_token': true,
        'custom.negative': -3,
        'custom.big': 2 ** 40,
        'custom.fraction': 0.25,
        'custom.bigint': 7n,
        'custom.typed': new Float32Array([1.5]),
        'custom.ints': [1, -2],
        'custom.matrix': [[1], [2, 3]],
      },
    });
    const { typedMetadata } = parseGgufHeader(bytes);
    const typeOf = (key: string) => typedMetadata[key]!.type;
    const itemTypeOf = (key: string) => (typedMetadata[key] as { itemType: number }).itemType;
    expect(typeOf('llama.context_length')).toBe(GgufValueType.UINT32);
    expect(typeOf('llama.rope.freq_base')).toBe(GgufValueType.FLOAT32);
    expect(typeOf('llama.attention.layer_norm_rms_epsilon')).toBe(GgufValueType.FLOAT32);
    expect(itemTypeOf('llama.attention.head_count_kv')).toBe(GgufValueType.UINT32);
    expect(itemTypeOf('tokenizer.ggml.tokens')).toBe(GgufValueType.STRING);
    expect(itemTypeOf('tokenizer.ggml.scores')).toBe(GgufValueType.FLOAT32);
    expect(itemTypeOf('tokenizer.ggml.token_type')).toBe(GgufValueType.INT32);
    expect(typeOf('tokenizer.ggml.bos_token_id')).toBe(GgufValueType.UINT32);
    expect(typeOf('tokenizer.ggml.add_bos_token')).toBe(GgufValueType.BOOL);
    expect(typeOf('custom.negative')).toBe(GgufValueType.INT32);
    expect(typeOf('custom.big')).toBe(GgufValueType.INT64);
    expect(typeOf('custom.fraction')).toBe(GgufValueType.FLOAT32);
    expect(typeOf('custom.bigint')).toBe(GgufValueType.UINT64);
    expect(itemTypeOf('custom.typed')).toBe(GgufValueType.FLOAT32);
    expect(itemTypeOf('custom.ints')).toBe(GgufValueType.INT32);
    expect(itemTypeOf('custom.matrix')).toBe(GgufValueType.ARRAY);
    expect(parseGgufHeader(bytes).metadata['custom.matrix']).toEqual([[1], [2, 3]]);
  });

  it('keeps every tensor type: raw bytes for all known types, float32 encoded for the quantizable ones', async () => {
    const tensors: GgufWriteTensor[] = [];
    const expected = new Map<string, Uint8Array>();
    for (const type of Object.values(GgmlType)) {
      const info = ggmlTypeInfo(type)!;
      const dims = [info.blockSize * 2, 3];
      const bytes = Uint8Array.from(
        { length: info.typeSize * 6 },
        (_, index) => (index * 31 + type) & 0xff,
      );
      // Keep F16 scales finite for the types whose bytes the test dequantizes later.
      tensors.push({ name: `raw.${info.name}`, dims, type, data: bytes });
      expected.set(`raw.${info.name}`, bytes);
    }
    const values = ramp(64 * 2);
    for (const type of [
      GgmlType.F32,
      GgmlType.F16,
      GgmlType.BF16,
      GgmlType.Q8_0,
      GgmlType.Q4_0,
      GgmlType.Q4_1,
      GgmlType.Q5_0,
      GgmlType.Q5_1,
    ]) {
      const name = `encoded.${ggmlTypeInfo(type)!.name}`;
      tensors.push({ name, dims: [64, 2], type, data: () => values });
      expected.set(name, quantize(values, type));
    }
    const bytes = await writeGgufToBuffer({
      metadata: { 'general.architecture': 'test' },
      tensors,
      alignment: 64,
    });
    const file = await openGguf(bytes);
    expect(file.alignment).toBe(64);
    expect(file.metadata['general.alignment']).toBe(64);
    expect(file.dataOffset % 64).toBe(0);
    expect(file.tensors.map((tensor) => tensor.name)).toEqual(tensors.map((tensor) => tensor.name));
    for (const tensor of file.tensors) {
      expect(tensor.offset % 64).toBe(0);
      expect(await file.readTensorBytes(tensor)).toEqual(expected.get(tensor.name));
    }
    const q8 = await file.readTensorFloat32('encoded.Q8_0');
    for (let index = 0; index < values.length; index++)
      expect(Math.abs(q8[index]! - values[index]!)).toBeLessThan(0.001);
    expect(Array.from(await file.readTensorFloat32('encoded.F32'))).toEqual(Array.from(values));
    await file.close();
  });

  it('writes tensors in the layout llama.cpp requires (in order, each offset = previous padded end)', async () => {
    const result = await writeGguf(
      {
        tensors: [
          { name: 'a', dims: [3], type: GgmlType.F32, data: new Float32Array(3) },
          { name: 'b', dims: [32], type: GgmlType.Q8_0, data: new Float32Array(32) },
          { name: 'c', dims: [1], type: GgmlType.I8, data: new Int8Array([5]) },
        ],
      },
      { write() {} },
    );
    expect(result.tensors.map((tensor) => tensor.offset)).toEqual([0, 32, 96]);
    expect(result.byteLength).toBe(result.dataOffset + 128);
  });

  it('streams to a file path with lazy data, one tensor at a time', async () => {
    const path = join(directory, 'lazy.gguf');
    const loaded: string[] = [];
    async function* tensors(): AsyncGenerator<GgufWriteTensor> {
      for (let layer = 0; layer < 4; layer++) {
        yield {
          name: `blk.${layer}.weight`,
          dims: [256, 4],
          type: GgmlType.Q4_0,
          data: async () => {
            loaded.push(`blk.${layer}.weight`);
            return ramp(1024, layer + 1);
          },
        };
      }
    }
    const progress: number[] = [];
    const result = await writeGguf(
      { metadata: { 'general.name': 'lazy' }, tensors: tensors() },
      path,
      {
        onProgress: ({ bytesWritten }) => progress.push(bytesWritten),
      },
    );
    expect(loaded).toEqual(['blk.0.weight', 'blk.1.weight', 'blk.2.weight', 'blk.3.weight']);
    expect((await stat(path)).size).toBe(result.byteLength);
    expect(progress.at(-1)).toBe(result.byteLength);
    const file = await openGguf(path);
    const restored = await file.readTensorFloat32('blk.2.weight');
    expect(restored.length).toBe(1024);
    expect(Array.from(restored)).toEqual(
      Array.from(dequantize(quantize(ramp(1024, 3), GgmlType.Q4_0), GgmlType.Q4_0, 1024)),
    );
    await file.close();
    expect(await readFile(path)).toEqual(
      Buffer.from(
        await writeGgufToBuffer({ metadata: { 'general.name': 'lazy' }, tensors: tensors() }),
      ),
    );
  });

  it('writes to a WritableStream', async () => {
    const chunks: Uint8Array[] = [];
    const stream = new WritableStream<Uint8Array>({
      write(chunk) {
        chunks.push(chunk.slice());
      },
    });
    const result = await writeGguf(
      {
        tensors: [
          { name: 't', dims: [4], type: GgmlType.F16, data: new Float32Array([1, 2, 3, 4]) },
        ],
      },
      stream,
    );
    const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    expect(total).toBe(result.byteLength);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.byteLength;
    }
    const file = await openGguf(joined);
    expect(Array.from(await file.readTensorFloat32('t'))).toEqual([1, 2, 3, 4]);
  });

  it('removes a partly written file when a tensor fails', async () => {
    const path = join(directory, 'failed.gguf');
    await expect(
      writeGguf(
        {
          tensors: [
            { name: 'ok', dims: [4], type: GgmlType.F32, data: new Float32Array(4) },
            { name: 'bad', dims: [4], type: GgmlType.F32, data: new Float32Array(3) },
          ],
        },
        path,
      ),
    ).rejects.toThrow(/need 16/);
    await expect(stat(path)).rejects.toThrow();
  });

  it('stops on an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      writeGguf(
        { tensors: [{ name: 't', dims: [4], type: GgmlType.F32, data: new Float32Array(4) }] },
        { write() {} },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ code: 'aborted' });
  });
});

describe('writeGguf input validation', () => {
  const cases: [string, Parameters<typeof writeGgufToBuffer>[0], RegExp][] = [
    [
      'a name too long for llama.cpp',
      {
        tensors: [
          { name: 'x'.repeat(64), dims: [1], type: GgmlType.F32, data: new Float32Array(1) },
        ],
      },
      /longer than 63/,
    ],
    [
      'duplicate tensor names',
      {
        tensors: [0, 1].map(() => ({
          name: 't',
          dims: [1],
          type: GgmlType.F32,
          data: new Float32Array(1),
        })),
      },
      /used twice/,
    ],
    [
      'five dims',
      {
        tensors: [
          { name: 't', dims: [1, 1, 1, 1, 1], type: GgmlType.F32, data: new Float32Array(1) },
        ],
      },
      /1 to 4/,
    ],
    [
      'a negative dim',
      { tensors: [{ name: 't', dims: [-1], type: GgmlType.F32, data: new Float32Array(0) }] },
      /non-negative/,
    ],
    [
      'an unknown type',
      { tensors: [{ name: 't', dims: [1], type: 4 as GgmlType, data: new Uint8Array(1) }] },
      /unknown ggml type/,
    ],
    [
      'a partial block',
      { tensors: [{ name: 't', dims: [33], type: GgmlType.Q8_0, data: new Float32Array(33) }] },
      /multiple of 32/,
    ],
    [
      'a type it cannot encode',
      { tensors: [{ name: 't', dims: [256], type: GgmlType.IQ4_NL, data: new Float32Array(256) }] },
      /cannot encode/,
    ],
    [
      'the wrong number of values',
      { tensors: [{ name: 't', dims: [32], type: GgmlType.Q8_0, data: new Float32Array(64) }] },
      /64 values given/,
    ],
    [
      'a uint8 out of range',
      { metadata: { k: { type: GgufValueType.UINT8, value: 256 } } },
      /not an integer in \[0, 255\]/,
    ],
    [
      'a fractional int32',
      { metadata: { k: { type: GgufValueType.INT32, value: 1.5 } } },
      /not an integer/,
    ],
    [
      'a uint64 below zero',
      { metadata: { k: { type: GgufValueType.UINT64, value: -1n } } },
      /out of range/,
    ],
    [
      'a string typed as bool',
      { metadata: { k: { type: GgufValueType.BOOL, value: 'yes' } } },
      /expected a boolean/,
    ],
    ['mixed arrays', { metadata: { k: [1, 'a'] } }, /mix/],
    [
      'an array without item type',
      { metadata: { k: { type: GgufValueType.ARRAY, value: [1] } } },
      /itemType/,
    ],
    ['null', { metadata: { k: null as unknown as string } }, /cannot write/],
    [
      'a context length below zero',
      { metadata: { 'llama.context_length': -1 } },
      /not an integer in \[0, 4294967295\]/,
    ],
    [
      'a non-UINT32 alignment',
      { metadata: { 'general.alignment': { type: GgufValueType.UINT64, value: 64n } } },
      /UINT32/,
    ],
    [
      'a conflicting alignment',
      { metadata: { 'general.alignment': 64 }, alignment: 32 },
      /disagrees/,
    ],
    ['an alignment that is not a power of two', { alignment: 48 }, /power of two/],
    [
      'duplicate metadata keys',
      {
        metadata: [
          ['k', 1],
          ['k', 2],
        ] as [string, number][],
      },
      /twice/,
    ],
  ];
  for (const [what, input, message] of cases) {
    it(`refuses ${what}`, async () => {
      const attempt = writeGgufToBuffer(input);
      await expect(attempt).rejects.toThrow(InvalidArgumentError);
      await expect(attempt).rejects.toThrow(message);
    });
  }
});
