import { ParseError } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { rawSafetensors } from './__fixtures__/raw-safetensors';
import { parseSafetensorsHeader } from './safetensors-header';

function expectCode(
  bytes: Uint8Array,
  code: string,
  message?: RegExp,
  options?: Parameters<typeof parseSafetensorsHeader>[1],
) {
  let caught: unknown;
  try {
    parseSafetensorsHeader(bytes, options);
  } catch (error) {
    caught = error;
  }
  expect(ParseError.isInstance(caught)).toBe(true);
  const error = caught as ParseError;
  expect(error.format).toBe('safetensors');
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
}

const tensor = (dtype: string, shape: unknown, offsets: unknown) => ({
  dtype,
  shape,
  data_offsets: offsets,
});

describe('parseSafetensorsHeader', () => {
  it('parses tensors in offset order, with metadata', () => {
    const header = parseSafetensorsHeader(
      rawSafetensors(
        {
          b: tensor('F16', [3], [8, 14]),
          __metadata__: { format: 'pt' },
          a: tensor('F32', [2], [0, 8]),
          empty: tensor('I8', [0, 5], [14, 14]),
        },
        14,
      ),
    );
    expect(header.tensors.map((info) => info.name)).toEqual(['a', 'b', 'empty']);
    expect(header.tensors[1]).toEqual({
      name: 'b',
      dtype: 'F16',
      shape: [3],
      dataOffsets: [8, 14],
      byteLength: 6,
      elementCount: 3,
    });
    expect(header.metadata.format).toBe('pt');
    expect(Object.getPrototypeOf(header.metadata)).toBe(null);
    expect(header.dataOffset).toBe(8 + header.headerSize);
  });

  it('accepts every dtype, scalars, null metadata and unknown extra fields', () => {
    const dtypes = {
      F64: 8,
      F32: 4,
      F16: 2,
      BF16: 2,
      I64: 8,
      I32: 4,
      I16: 2,
      I8: 1,
      U64: 8,
      U32: 4,
      U16: 2,
      U8: 1,
      BOOL: 1,
      F8_E4M3: 1,
      F8_E5M2: 1,
    };
    const entries: Record<string, unknown> = { __metadata__: null };
    let offset = 0;
    for (const [dtype, size] of Object.entries(dtypes)) {
      entries[dtype.toLowerCase()] = { ...tensor(dtype, [], [offset, offset + size]), extra: true };
      offset += size;
    }
    const header = parseSafetensorsHeader(rawSafetensors(entries, offset));
    expect(header.tensors).toHaveLength(15);
    expect(header.tensors.every((info) => info.elementCount === 1)).toBe(true);
  });

  it('an empty file with no tensors', () => {
    expect(parseSafetensorsHeader(rawSafetensors('{}')).tensors).toEqual([]);
    expect(parseSafetensorsHeader(rawSafetensors('{}        ')).headerSize).toBe(10);
  });

  it('keeps a "__proto__" tensor as a tensor', () => {
    const header = parseSafetensorsHeader(
      rawSafetensors('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1),
    );
    expect(header.tensors[0]!.name).toBe('__proto__');
  });

  describe('errors (each branch of the reference validation)', () => {
    it('safetensors-truncated: fewer than 8 bytes', () => {
      expectCode(new Uint8Array(5), 'safetensors-truncated');
    });
    it('safetensors-header-too-large', () => {
      expectCode(
        rawSafetensors('{}', 0, 100_000_001n),
        'safetensors-header-too-large',
        /maxHeaderSize/,
      );
      expectCode(rawSafetensors('{}', 0, 2n ** 64n - 1n), 'safetensors-header-too-large');
      expectCode(rawSafetensors('{"a":1}', 0), 'safetensors-header-too-large', undefined, {
        limits: { maxHeaderSize: 4 },
      });
    });
    it('safetensors-invalid-header-length: the header runs past the file', () => {
      expectCode(rawSafetensors('{}', 0, 3n), 'safetensors-invalid-header-length');
    });
    it('safetensors-invalid-header: not UTF-8', () => {
      const bytes = rawSafetensors('{"a":1}');
      bytes[10] = 0xff;
      expectCode(bytes, 'safetensors-invalid-header', /UTF-8/);
    });
    it('safetensors-invalid-header-start', () => {
      expectCode(rawSafetensors('  {}'), 'safetensors-invalid-header-start');
      expectCode(rawSafetensors('[]'), 'safetensors-invalid-header-start');
      expectCode(rawSafetensors(''), 'safetensors-invalid-header-start');
    });
    it('safetensors-invalid-json', () => {
      expectCode(rawSafetensors('{"a":'), 'safetensors-invalid-json');
      expectCode(rawSafetensors('{} {}'), 'safetensors-invalid-json');
    });
    it('safetensors-invalid-metadata', () => {
      expectCode(rawSafetensors({ __metadata__: 'x' }), 'safetensors-invalid-metadata');
      expectCode(
        rawSafetensors({ __metadata__: { a: 1 } }),
        'safetensors-invalid-metadata',
        /should be a string/,
      );
      expectCode(rawSafetensors({ __metadata__: [] }), 'safetensors-invalid-metadata');
    });
    it('safetensors-invalid-tensor-info', () => {
      expectCode(rawSafetensors({ a: 5 }), 'safetensors-invalid-tensor-info');
      expectCode(
        rawSafetensors({ a: { shape: [1], data_offsets: [0, 4] } }),
        'safetensors-invalid-tensor-info',
        /dtype/,
      );
      expectCode(
        rawSafetensors({ a: { dtype: 'F32', data_offsets: [0, 4] } }),
        'safetensors-invalid-tensor-info',
        /shape/,
      );
      expectCode(
        rawSafetensors({ a: { dtype: 'F32', shape: [1] } }),
        'safetensors-invalid-tensor-info',
        /data_offsets/,
      );
      expectCode(
        rawSafetensors({ a: tensor('F32', [1], [0, 4, 8]) }),
        'safetensors-invalid-tensor-info',
      );
    });
    it('safetensors-unknown-dtype', () => {
      expectCode(
        rawSafetensors({ a: tensor('F128', [1], [0, 16]) }, 16),
        'safetensors-unknown-dtype',
        /F128/,
      );
      expectCode(rawSafetensors({ a: tensor('f32', [1], [0, 4]) }, 4), 'safetensors-unknown-dtype');
    });
    it('safetensors-invalid-shape', () => {
      expectCode(
        rawSafetensors({ a: tensor('F32', [-1], [0, 4]) }, 4),
        'safetensors-invalid-shape',
      );
      expectCode(
        rawSafetensors({ a: tensor('F32', [1.5], [0, 4]) }, 4),
        'safetensors-invalid-shape',
      );
      expectCode(
        rawSafetensors({ a: tensor('F32', ['2'], [0, 8]) }, 8),
        'safetensors-invalid-shape',
      );
    });
    it('safetensors-invalid-offsets: a gap, an overlap, a reversed range, bad numbers', () => {
      expectCode(
        rawSafetensors({ a: tensor('F32', [1], [4, 8]) }, 8),
        'safetensors-invalid-offsets',
        /gap/,
      );
      expectCode(
        rawSafetensors({ a: tensor('F32', [2], [0, 8]), b: tensor('F32', [1], [4, 8]) }, 8),
        'safetensors-invalid-offsets',
        /overlaps/,
      );
      expectCode(
        rawSafetensors({ a: tensor('F32', [0], [4, 0]) }, 4),
        'safetensors-invalid-offsets',
      );
      expectCode(
        rawSafetensors({ a: tensor('F32', [1], [-4, 0]) }, 4),
        'safetensors-invalid-offsets',
      );
      expectCode(
        rawSafetensors({ a: tensor('F32', [1], [0, '4']) }, 4),
        'safetensors-invalid-offsets',
      );
    });
    it('safetensors-overflow', () => {
      expectCode(
        rawSafetensors({ a: tensor('F32', [2 ** 30, 2 ** 30], [0, 4]) }, 4),
        'safetensors-overflow',
      );
      expectCode(
        rawSafetensors(
          '{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,1]}}',
          1,
        ),
        'safetensors-overflow',
      );
      expectCode(
        rawSafetensors({ a: tensor('F64', [2 ** 51], [0, 8]) }, 8),
        'safetensors-overflow',
        /byte size/,
      );
      expectCode(
        rawSafetensors(
          '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551615]}}',
          1,
        ),
        'safetensors-overflow',
      );
    });
    it('safetensors-size-mismatch: offsets disagree with dtype x shape', () => {
      expectCode(
        rawSafetensors({ a: tensor('F32', [2], [0, 4]) }, 4),
        'safetensors-size-mismatch',
        /needs 8 bytes/,
      );
    });
    it('safetensors-incomplete-buffer: data section longer or shorter than the tensors', () => {
      expectCode(
        rawSafetensors({ a: tensor('F32', [1], [0, 4]) }, 5),
        'safetensors-incomplete-buffer',
      );
      expectCode(
        rawSafetensors({ a: tensor('F32', [1], [0, 4]) }, 3),
        'safetensors-incomplete-buffer',
      );
      expectCode(rawSafetensors({}, 1), 'safetensors-incomplete-buffer');
    });
    it('safetensors-truncated when only part of the header is given', () => {
      const bytes = rawSafetensors({ a: tensor('F32', [1], [0, 4]) }, 4);
      expectCode(bytes.subarray(0, 20), 'safetensors-truncated', undefined, {
        fileSize: bytes.byteLength,
      });
    });
  });
});
