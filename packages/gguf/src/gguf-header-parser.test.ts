import { ParseError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { RawGguf } from './__fixtures__/raw-gguf';
import { GgmlType } from './ggml-type';
import { parseGgufHeader } from './gguf-header-parser';
import { GgufValueType } from './gguf-types';

function expectParseError(
  bytes: Uint8Array,
  code: string,
  message?: RegExp,
  options?: Parameters<typeof parseGgufHeader>[1],
): ParseError {
  try {
    parseGgufHeader(bytes, options);
  } catch (error) {
    expect(ParseError.isInstance(error)).toBe(true);
    const parseError = error as ParseError;
    expect(parseError.format).toBe('gguf');
    expect(parseError.code).toBe(code);
    if (message) expect(parseError.message).toMatch(message);
    return parseError;
  }
  throw new Error(`expected ${code}`);
}

/** A minimal valid file: one UINT32 key and one F32 tensor of 4 values. */
function minimal(): RawGguf {
  return new RawGguf()
    .header(1, 1)
    .string('general.alignment')
    .u32(GgufValueType.UINT32)
    .u32(32)
    .string('weight')
    .u32(1)
    .u64(4)
    .u32(GgmlType.F32)
    .u64(0)
    .pad(32)
    .raw(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
}

describe('parseGgufHeader', () => {
  it('parses a hand-made file', () => {
    const header = parseGgufHeader(minimal().build());
    expect(header.version).toBe(3);
    expect(header.metadata['general.alignment']).toBe(32);
    expect(header.tensors).toEqual([
      { name: 'weight', dims: [4], type: GgmlType.F32, offset: 0, byteLength: 16, elementCount: 4 },
    ]);
    expect(header.dataOffset).toBe(96);
    expect(header.headerSize).toBe(24 + 8 + 17 + 4 + 4 + 8 + 6 + 4 + 8 + 4 + 8);
    expect(Object.getPrototypeOf(header.metadata)).toBe(null);
  });

  it('reads v2 files and every scalar type', () => {
    const raw = new RawGguf().header(0, 12, 2);
    const entries: [number, (raw: RawGguf) => void][] = [
      [GgufValueType.UINT8, (r) => r.u8(200)],
      [GgufValueType.INT8, (r) => r.u8(0xff)],
      [GgufValueType.UINT16, (r) => r.u16(60000)],
      [GgufValueType.INT16, (r) => r.u16(0xfffe)],
      [GgufValueType.UINT32, (r) => r.u32(4000000000)],
      [GgufValueType.INT32, (r) => r.u32(0xfffffffd)],
      [GgufValueType.FLOAT32, (r) => r.f32(1.5)],
      [GgufValueType.BOOL, (r) => r.u8(1)],
      [GgufValueType.STRING, (r) => r.string('s')],
      [GgufValueType.UINT64, (r) => r.u64(2n ** 63n)],
      [GgufValueType.INT64, (r) => r.u64(-5n)],
      [GgufValueType.FLOAT64, (r) => r.raw(new Uint8Array(new Float64Array([0.1]).buffer))],
    ];
    entries.forEach(([type, write], index) => {
      raw.string(`k${index}`).u32(type);
      write(raw);
    });
    const header = parseGgufHeader(raw.build());
    expect(header.version).toBe(2);
    expect(Object.values(header.metadata)).toEqual([
      200,
      -1,
      60000,
      -2,
      4000000000,
      -3,
      1.5,
      true,
      's',
      2n ** 63n,
      -5n,
      0.1,
    ]);
  });

  it('keeps a leading byte-order mark in strings and decodes non-ASCII text', () => {
    const header = parseGgufHeader(
      new RawGguf()
        .header(0, 2)
        .string('bom')
        .u32(8)
        .string('\ufeffx')
        .string('utf8')
        .u32(8)
        .string('é€😀')
        .build(),
    );
    expect(header.metadata.bom).toBe('\ufeffx');
    expect(header.metadata.utf8).toBe('é€😀');
  });

  it('accepts a __proto__ key without touching prototypes', () => {
    const header = parseGgufHeader(
      new RawGguf().header(0, 1).string('__proto__').u32(GgufValueType.STRING).string('x').build(),
    );
    const key = '__proto__';
    expect(Object.hasOwn(header.metadata, key)).toBe(true);
    expect(header.metadata[key]).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('computes the data offset with a custom alignment', () => {
    const header = parseGgufHeader(
      new RawGguf()
        .header(1, 1)
        .string('general.alignment')
        .u32(GgufValueType.UINT32)
        .u32(256)
        .string('t')
        .u32(1)
        .u64(32)
        .u32(GgmlType.Q8_0)
        .u64(0)
        .pad(256)
        .raw(new Uint8Array(34))
        .build(),
    );
    expect(header.alignment).toBe(256);
    expect(header.dataOffset).toBe(256);
  });

  describe('errors', () => {
    it('gguf-invalid-magic', () => {
      expectParseError(
        new TextEncoder().encode('PK\u0003\u0004 zip file'),
        'gguf-invalid-magic',
        /does not start with/,
      );
      expectParseError(Uint8Array.of(0x47, 0x47, 0x4d), 'gguf-invalid-magic');
      expectParseError(new Uint8Array(0), 'gguf-truncated');
      expectParseError(Uint8Array.of(0x47, 0x47), 'gguf-truncated');
    });

    it('gguf-unsupported-version', () => {
      expectParseError(new RawGguf().header(0, 0, 1).build(), 'gguf-unsupported-version', /v1/);
      expectParseError(
        new RawGguf().header(0, 0, 4).build(),
        'gguf-unsupported-version',
        /versions 2 and 3/,
      );
      expectParseError(
        new RawGguf().header(0, 0, 0x03000000).build(),
        'gguf-unsupported-version',
        /big-endian/,
      );
    });

    it('gguf-truncated, anywhere in the header', () => {
      const bytes = minimal().build();
      for (let length = 0; length < 92; length++) {
        const error = expectParseError(
          bytes.subarray(0, length),
          length < 4 ? 'gguf-truncated' : 'gguf-truncated',
        );
        expect(error.offset).toBeLessThanOrEqual(length);
      }
    });

    it('gguf-truncated when counts cannot fit in the file', () => {
      expectParseError(
        new RawGguf().header(1000, 0).build(),
        'gguf-truncated',
        /1000 tensor infos/,
      );
      expectParseError(
        new RawGguf()
          .header(0, 1)
          .string('k')
          .u32(GgufValueType.ARRAY)
          .u32(GgufValueType.UINT64)
          .u64(1000)
          .build(),
        'gguf-truncated',
        /1000 elements/,
      );
      expectParseError(
        new RawGguf().header(0, 1).string('k').u32(GgufValueType.STRING).u64(1000).build(),
        'gguf-truncated',
        /needs 1000 bytes/,
      );
    });

    it('gguf-limit-exceeded for every limit', () => {
      expectParseError(
        new RawGguf().header(2n ** 62n, 0).build(),
        'gguf-limit-exceeded',
        /maxTensorCount/,
      );
      expectParseError(
        new RawGguf().header(0, 2n ** 40n).build(),
        'gguf-limit-exceeded',
        /maxMetadataCount/,
      );
      expectParseError(
        new RawGguf()
          .header(0, 1)
          .u64(2n ** 63n)
          .raw(new Uint8Array(8))
          .build(),
        'gguf-limit-exceeded',
        /maxStringLength/,
      );
      expectParseError(
        new RawGguf()
          .header(0, 1)
          .string('k')
          .u32(GgufValueType.ARRAY)
          .u32(GgufValueType.UINT8)
          .u64(2n ** 64n - 1n)
          .build(),
        'gguf-limit-exceeded',
        /maxTotalArrayElements/,
      );
      // Nested arrays: 9 levels with the default depth limit of 8.
      const deep = new RawGguf().header(0, 1).string('k').u32(GgufValueType.ARRAY);
      for (let level = 0; level < 9; level++) deep.u32(GgufValueType.ARRAY).u64(1);
      expectParseError(deep.build(), 'gguf-limit-exceeded', /maxArrayRecursionDepth/);
      const slack = new Uint8Array(64);
      expectParseError(
        new RawGguf().header(1, 0).string('t').u32(5).raw(slack).build(),
        'gguf-limit-exceeded',
        /maxDims/,
      );
      expectParseError(
        new RawGguf()
          .header(1, 0)
          .string('t')
          .u32(1)
          .u64(2n ** 60n)
          .raw(slack)
          .build(),
        'gguf-limit-exceeded',
        /above 2\^53/,
      );
      expectParseError(
        new RawGguf()
          .header(1, 0)
          .string('t')
          .u32(2)
          .u64(2n ** 26n)
          .u64(2n ** 26n)
          .u32(GgmlType.F32)
          .u64(0)
          .build(),
        'gguf-limit-exceeded',
        /more than 2\^53 bytes/,
      );
      expectParseError(
        new RawGguf()
          .header(1, 0)
          .string('t')
          .u32(4)
          .u64(2n ** 20n)
          .u64(2n ** 20n)
          .u64(2n ** 20n)
          .u64(2n ** 20n)
          .u32(GgmlType.F32)
          .u64(0)
          .build(),
        'gguf-limit-exceeded',
        /overflows 2\^53/,
      );
    });

    it('limits can be lowered per call', () => {
      const bytes = new RawGguf()
        .header(0, 1)
        .string('k')
        .u32(GgufValueType.ARRAY)
        .u32(GgufValueType.UINT8)
        .u64(3)
        .raw([1, 2, 3])
        .build();
      expect(parseGgufHeader(bytes).metadata.k).toEqual([1, 2, 3]);
      expectParseError(bytes, 'gguf-limit-exceeded', /maxTotalArrayElements/, {
        limits: { maxTotalArrayElements: 2 },
      });
      expectParseError(bytes, 'gguf-limit-exceeded', /maxStringLength/, {
        limits: { maxStringLength: 0 },
      });
      expectParseError(bytes, 'gguf-limit-exceeded', /maxMetadataCount/, {
        limits: { maxMetadataCount: 0 },
      });
    });

    it('gguf-invalid-type for value and tensor types', () => {
      expectParseError(
        new RawGguf().header(0, 1).string('k').u32(13).build(),
        'gguf-invalid-type',
        /value type 13/,
      );
      expectParseError(
        new RawGguf().header(0, 1).string('k').u32(GgufValueType.ARRAY).u32(99).u64(0).build(),
        'gguf-invalid-type',
      );
      for (const removed of [4, 5, 31, 36, 40, 0xffffffff]) {
        expectParseError(
          new RawGguf().header(1, 0).string('t').u32(1).u64(32).u32(removed).u64(0).build(),
          'gguf-invalid-type',
          /unknown ggml type/,
        );
      }
    });

    it('gguf-invalid-shape when the first dimension is not whole blocks', () => {
      expectParseError(
        new RawGguf()
          .header(1, 0)
          .string('t')
          .u32(2)
          .u64(16)
          .u64(2)
          .u32(GgmlType.Q4_0)
          .u64(0)
          .build(),
        'gguf-invalid-shape',
        /multiple of the block size 32/,
      );
    });

    it('gguf-invalid-alignment', () => {
      for (const [type, write] of [
        [GgufValueType.UINT32, (raw: RawGguf) => raw.u32(48)],
        [GgufValueType.UINT32, (raw: RawGguf) => raw.u32(0)],
        [GgufValueType.UINT32, (raw: RawGguf) => raw.u32(2 ** 31)],
        [GgufValueType.FLOAT32, (raw: RawGguf) => raw.f32(32)],
        [GgufValueType.STRING, (raw: RawGguf) => raw.string('32')],
        [GgufValueType.INT64, (raw: RawGguf) => raw.u64(-32n)],
      ] as const) {
        const raw = new RawGguf().header(0, 1).string('general.alignment').u32(type);
        write(raw);
        expectParseError(raw.build(), 'gguf-invalid-alignment', /general.alignment/);
      }
      // A misaligned tensor offset.
      expectParseError(
        new RawGguf()
          .header(1, 0)
          .string('t')
          .u32(1)
          .u64(1)
          .u32(GgmlType.I8)
          .u64(3)
          .pad(32)
          .raw(new Uint8Array(64))
          .build(),
        'gguf-invalid-alignment',
        /not a multiple/,
      );
    });

    it('gguf-out-of-bounds and gguf-overlapping-tensors', () => {
      expectParseError(
        new RawGguf()
          .header(1, 0)
          .string('t')
          .u32(1)
          .u64(64)
          .u32(GgmlType.F32)
          .u64(0)
          .pad(32)
          .raw(new Uint8Array(100))
          .build(),
        'gguf-out-of-bounds',
        /past the end/,
      );
      expectParseError(
        new RawGguf()
          .header(1, 0)
          .string('t')
          .u32(1)
          .u64(1)
          .u32(GgmlType.F32)
          .u64(2n ** 60n)
          .build(),
        'gguf-out-of-bounds',
        /beyond any file/,
      );
      const overlapping = new RawGguf()
        .header(2, 0)
        .string('a')
        .u32(1)
        .u64(16)
        .u32(GgmlType.F32)
        .u64(0)
        .string('b')
        .u32(1)
        .u64(8)
        .u32(GgmlType.F32)
        .u64(32)
        .pad(32)
        .raw(new Uint8Array(128));
      expectParseError(overlapping.build(), 'gguf-overlapping-tensors', /"a" and "b" overlap/);
    });

    it('clips long names in messages', () => {
      const name = 'n'.repeat(100_000);
      const tensor = (raw: RawGguf) => raw.string(name).u32(1).u64(1).u32(GgmlType.I8).u64(0);
      const error = expectParseError(
        tensor(tensor(new RawGguf().header(2, 0)))
          .pad(32)
          .raw(new Uint8Array(32))
          .build(),
        'gguf-duplicate-tensor',
      );
      expect(error.message.length).toBeLessThan(400);
    });

    it('gguf-duplicate-key and gguf-duplicate-tensor', () => {
      expectParseError(
        new RawGguf()
          .header(0, 2)
          .string('k')
          .u32(GgufValueType.BOOL)
          .u8(1)
          .string('k')
          .u32(GgufValueType.BOOL)
          .u8(0)
          .build(),
        'gguf-duplicate-key',
        /"k" appears twice/,
      );
      const tensor = (raw: RawGguf) => raw.string('t').u32(1).u64(1).u32(GgmlType.I8).u64(0);
      expectParseError(
        tensor(tensor(new RawGguf().header(2, 0)))
          .pad(32)
          .raw(new Uint8Array(32))
          .build(),
        'gguf-duplicate-tensor',
      );
    });

    it('checks tensors against a larger file size when given only the start of the file', () => {
      const bytes = minimal().build();
      const header = parseGgufHeader(bytes.subarray(0, 96), { fileSize: bytes.byteLength });
      expect(header.fileSize).toBe(112);
      expectParseError(bytes.subarray(0, 96), 'gguf-out-of-bounds', undefined, { fileSize: 100 });
    });
  });
});
