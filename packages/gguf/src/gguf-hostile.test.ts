/**
 * Hostile input: more than 10,000 truncated, bit-flipped, overwritten, random and hand-made
 * malformed GGUF files. Every one must be answered by a ParseError with a known code (or parse
 * successfully, and then its tensors must read safely), quickly, without a crash or a giant
 * allocation. The async reader (with tiny read windows) must agree with the sync parser.
 */
import { checkBitFlips, flipBits } from '@llmr/binary-io/testing';
import { ParseError } from '@llmr/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { RawGguf } from './__fixtures__/raw-gguf';
import { canDequantize, dequantize } from './dequantize';
import { GgmlType } from './ggml-type';
import type { GgufErrorCode } from './gguf-error';
import { parseGgufHeader } from './gguf-header-parser';
import { getGgufModelInfo } from './gguf-model-info';
import { readGgufHeader } from './gguf-reader';
import { GgufValueType } from './gguf-types';
import { writeGgufToBuffer } from './gguf-writer';

const KNOWN_CODES = new Set<GgufErrorCode>([
  'gguf-invalid-magic',
  'gguf-unsupported-version',
  'gguf-truncated',
  'gguf-limit-exceeded',
  'gguf-invalid-type',
  'gguf-out-of-bounds',
  'gguf-overlapping-tensors',
  'gguf-invalid-alignment',
  'gguf-invalid-shape',
  'gguf-duplicate-key',
  'gguf-duplicate-tensor',
  'gguf-invalid-value',
]);

/** Generous: a case takes well under a millisecond; this only catches hangs. */
const CASE_TIME_LIMIT_MS = 1000;

let cases = 0;

/** The outcome of parsing: 'ok' or the error code. Fails the test on anything but a ParseError. */
function outcome(bytes: Uint8Array): string {
  cases++;
  const started = performance.now();
  let result: string;
  try {
    const header = parseGgufHeader(bytes);
    // A file that parses must be safe to use: accessors and tensor reads.
    try {
      getGgufModelInfo(header);
    } catch (error) {
      if (!ParseError.isInstance(error) || error.code !== 'gguf-invalid-value') throw error;
    }
    for (const tensor of header.tensors) {
      const start = header.dataOffset + tensor.offset;
      expect(start + tensor.byteLength).toBeLessThanOrEqual(bytes.byteLength);
      if (canDequantize(tensor.type) && tensor.byteLength <= 1 << 20) {
        dequantize(
          bytes.subarray(start, start + tensor.byteLength),
          tensor.type,
          tensor.elementCount,
        );
      }
    }
    result = 'ok';
  } catch (error) {
    if (!ParseError.isInstance(error)) throw error;
    expect(error.format).toBe('gguf');
    expect(KNOWN_CODES.has(error.code as GgufErrorCode)).toBe(true);
    result = error.code;
  }
  const elapsed = performance.now() - started;
  if (elapsed > CASE_TIME_LIMIT_MS) throw new Error(`a case took ${elapsed.toFixed(0)} ms`);
  return result;
}

let corpus: Uint8Array[] = [];

beforeAll(async () => {
  const values = Float32Array.from({ length: 512 }, (_, index) => Math.cos(index) * 3);
  corpus = [
    await writeGgufToBuffer({
      metadata: {
        'general.architecture': 'llama',
        'llama.context_length': 2048,
        'llama.rope.freq_base': 10000,
        'tokenizer.ggml.tokens': ['<unk>', '<s>', 'é', 'tok'],
        'tokenizer.ggml.scores': [0, 0, -1.5, -2],
        'tokenizer.ggml.token_type': [2, 3, 1, 1],
        'tokenizer.ggml.add_bos_token': true,
        u8: { type: GgufValueType.UINT8, value: 7 },
        i16: { type: GgufValueType.INT16, value: -7 },
        u64: { type: GgufValueType.UINT64, value: 2n ** 63n },
        f64: { type: GgufValueType.FLOAT64, value: 0.1 },
        nested: [[1, 2], ['a']],
      },
      tensors: [
        { name: 'q8', dims: [32, 4], type: GgmlType.Q8_0, data: values.subarray(0, 128) },
        { name: 'q4', dims: [64, 2], type: GgmlType.Q4_0, data: values.subarray(0, 128) },
        { name: 'f16', dims: [16], type: GgmlType.F16, data: values.subarray(0, 16) },
        { name: 'q4k', dims: [256], type: GgmlType.Q4_K, data: new Uint8Array(144).fill(0x11) },
        { name: 'q6k', dims: [256], type: GgmlType.Q6_K, data: new Uint8Array(210).fill(0x22) },
      ],
    }),
    await writeGgufToBuffer({
      metadata: { 'general.alignment': 64, name: 'aligned' },
      tensors: [
        { name: 'a', dims: [32], type: GgmlType.Q5_1, data: values.subarray(0, 32) },
        { name: 'b', dims: [3, 1, 1, 2], type: GgmlType.F32, data: values.subarray(0, 6) },
      ],
    }),
    new RawGguf()
      .header(0, 1, 2)
      .string('k')
      .u32(GgufValueType.ARRAY)
      .u32(GgufValueType.ARRAY)
      .u64(2)
      .u32(GgufValueType.UINT32)
      .u64(1)
      .u32(5)
      .u32(GgufValueType.STRING)
      .u64(1)
      .string('x')
      .build(),
  ];
});

describe('hostile GGUF files', () => {
  it('the corpus itself parses', () => {
    for (const bytes of corpus) expect(outcome(bytes)).toBe('ok');
  });

  it('every truncation of every corpus file is refused', () => {
    let count = 0;
    for (const bytes of corpus) {
      for (let length = 0; length < bytes.byteLength; length++) {
        const result = outcome(bytes.slice(0, length));
        // Cutting into the header or into tensor data can never succeed, except after the last
        // tensor's padding (which carries no data).
        if (result === 'ok') {
          const header = parseGgufHeader(bytes);
          const end = Math.max(
            header.headerSize,
            ...header.tensors.map(
              (tensor) => header.dataOffset + tensor.offset + tensor.byteLength,
            ),
          );
          expect(length).toBeGreaterThanOrEqual(end);
        }
        count++;
      }
    }
    expect(count).toBeGreaterThan(1500);
  });

  it('bit flips', async () => {
    await checkBitFlips(corpus, outcome, { maxFlips: 8, numRuns: 4000 });
  });

  it('hostile 32- and 64-bit values written over fields', () => {
    const hostile = fc.oneof(
      fc.constantFrom(
        0n,
        1n,
        2n ** 31n,
        2n ** 32n - 1n,
        2n ** 32n,
        2n ** 53n,
        2n ** 63n,
        2n ** 64n - 1n,
        13n,
        9n,
        40n,
        255n,
      ),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    );
    fc.assert(
      fc.property(fc.nat(), fc.nat(), hostile, fc.boolean(), (which, position, value, wide) => {
        const bytes = corpus[which % corpus.length]!.slice();
        const view = new DataView(bytes.buffer);
        const at = position % Math.max(1, bytes.byteLength - 8);
        if (wide) view.setBigUint64(at, value, true);
        else view.setUint32(at, Number(value & 0xffffffffn), true);
        outcome(bytes);
      }),
      { numRuns: 2500 },
    );
  });

  it('random bytes after a valid magic and version', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(2, 3), (tail, version) => {
        const bytes = new RawGguf().raw([0x47, 0x47, 0x55, 0x46]).u32(version).raw(tail).build();
        outcome(bytes);
      }),
      { numRuns: 1500 },
    );
  });

  it('hand-made structurally hostile headers', () => {
    const count = fc.oneof(
      fc.integer({ min: 0, max: 4 }),
      fc.constantFrom(2n ** 20n, 2n ** 40n, 2n ** 63n, 2n ** 64n - 1n),
    );
    const valueType = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom(13, 255, 2 ** 31));
    const metadataEntry = fc.record({
      key: fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('general.alignment', '__proto__', 'constructor'),
      ),
      type: valueType,
      itemType: valueType,
      length: count,
      depth: fc.integer({ min: 0, max: 12 }),
      payload: fc.uint8Array({ maxLength: 24 }),
    });
    const tensorInfo = fc.record({
      name: fc.oneof(fc.string({ maxLength: 8 }), fc.constant('same')),
      dims: fc.array(
        fc.oneof(
          fc.integer({ min: 0, max: 300 }),
          fc.constantFrom(2n ** 32n, 2n ** 53n, 2n ** 64n - 1n),
        ),
        { maxLength: 6 },
      ),
      dimCount: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      type: fc.oneof(
        fc.constantFrom(0, 1, 2, 8, 12, 14, 30),
        fc.integer({ min: 0, max: 45 }),
        fc.constant(2 ** 32 - 1),
      ),
      offset: fc.oneof(
        fc.constantFrom(0n, 32n, 64n, 1n, 2n ** 62n),
        fc.bigInt({ min: 0n, max: 4096n }),
      ),
    });
    const file = fc.record({
      version: fc.constantFrom(2, 3),
      declaredTensors: fc.option(count, { nil: undefined }),
      declaredMetadata: fc.option(count, { nil: undefined }),
      metadata: fc.array(metadataEntry, { maxLength: 4 }),
      tensors: fc.array(tensorInfo, { maxLength: 4 }),
      trailing: fc.integer({ min: 0, max: 2048 }),
    });
    fc.assert(
      fc.property(file, (spec) => {
        const raw = new RawGguf().header(
          spec.declaredTensors ?? spec.tensors.length,
          spec.declaredMetadata ?? spec.metadata.length,
          spec.version,
        );
        for (const entry of spec.metadata) {
          raw.string(entry.key).u32(entry.type);
          if (entry.type === GgufValueType.ARRAY) {
            // Nest arrays `depth` deep, then claim `length` items of `itemType`.
            for (let level = 0; level < entry.depth; level++) raw.u32(GgufValueType.ARRAY).u64(1);
            raw.u32(entry.itemType).u64(entry.length);
          } else if (entry.type === GgufValueType.STRING) {
            raw.u64(entry.length);
          }
          raw.raw(entry.payload);
        }
        for (const tensor of spec.tensors) {
          raw.string(tensor.name).u32(tensor.dimCount ?? tensor.dims.length);
          for (const size of tensor.dims) raw.u64(size);
          raw.u32(tensor.type).u64(tensor.offset);
        }
        raw.pad(32).raw(new Uint8Array(spec.trailing));
        outcome(raw.build());
      }),
      { numRuns: 3000 },
    );
  });

  it('the async reader with tiny windows agrees with the sync parser', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.integer({ min: 16, max: 300 }),
        async (which, flips, cut, window) => {
          let bytes = flipBits(corpus[which % corpus.length]!, flips);
          if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.byteLength + 1));
          const expected = outcome(bytes);
          const started = performance.now();
          const actual = await readGgufHeader(new Blob([new Uint8Array(bytes)]), {
            initialReadSize: window,
          }).then(
            () => 'ok',
            (error) => {
              if (!ParseError.isInstance(error)) throw error;
              return error.code;
            },
          );
          expect(performance.now() - started).toBeLessThan(CASE_TIME_LIMIT_MS);
          expect(actual).toBe(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('ran more than 10,000 hostile cases', () => {
    // Counted by outcome(): the truncations, flips, overwrites, random and hand-made files above.
    expect(cases).toBeGreaterThan(10_000);
  });
});
