/**
 * Hostile input: more than 10,000 truncated, bit-flipped, overwritten and hand-made malformed
 * safetensors files and indexes. Every one must be answered by a ParseError with a known code
 * (or parse, and then every tensor must read safely), quickly. The async reader must agree with
 * the sync parser.
 */
import { checkBitFlips, flipBits } from '@llmr/binary-io/testing';
import { ParseError } from '@llmr/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { rawSafetensors } from './__fixtures__/raw-safetensors';
import { parseSafetensorsIndex } from './safetensors-checkpoint';
import { toFloat32, toTypedArray } from './safetensors-dtype';
import type { SafetensorsErrorCode } from './safetensors-error';
import { parseSafetensorsHeader } from './safetensors-header';
import { readSafetensorsHeader } from './safetensors-reader';
import { writeSafetensorsToBuffer } from './safetensors-writer';

const KNOWN_CODES = new Set<SafetensorsErrorCode>([
  'safetensors-truncated',
  'safetensors-header-too-large',
  'safetensors-invalid-header-length',
  'safetensors-invalid-header',
  'safetensors-invalid-header-start',
  'safetensors-invalid-json',
  'safetensors-invalid-metadata',
  'safetensors-invalid-tensor-info',
  'safetensors-unknown-dtype',
  'safetensors-invalid-shape',
  'safetensors-invalid-offsets',
  'safetensors-overflow',
  'safetensors-size-mismatch',
  'safetensors-incomplete-buffer',
  'safetensors-invalid-index',
  'safetensors-limit-exceeded',
]);

/** Generous: cases take microseconds; this only catches hangs. */
const CASE_TIME_LIMIT_MS = 1000;
let cases = 0;

function expectKnownParseError(error: unknown): string {
  if (!ParseError.isInstance(error)) throw error;
  expect(error.format).toBe('safetensors');
  expect(KNOWN_CODES.has(error.code as SafetensorsErrorCode)).toBe(true);
  return error.code;
}

function outcome(bytes: Uint8Array): string {
  cases++;
  const started = performance.now();
  let result: string;
  try {
    const header = parseSafetensorsHeader(bytes);
    for (const tensor of header.tensors) {
      const start = header.dataOffset + tensor.dataOffsets[0];
      expect(start + tensor.byteLength).toBeLessThanOrEqual(bytes.byteLength);
      const data = bytes.subarray(start, start + tensor.byteLength);
      expect(toTypedArray(tensor.dtype, data).length).toBe(tensor.elementCount);
      toFloat32(tensor.dtype, data);
    }
    result = 'ok';
  } catch (error) {
    result = expectKnownParseError(error);
  }
  const elapsed = performance.now() - started;
  if (elapsed > CASE_TIME_LIMIT_MS) throw new Error(`a case took ${elapsed.toFixed(0)} ms`);
  return result;
}

let corpus: Uint8Array[] = [];

beforeAll(async () => {
  corpus = [
    await writeSafetensorsToBuffer(
      [
        {
          name: 'model.embed_tokens.weight',
          dtype: 'F16',
          shape: [4, 3],
          data: new Float32Array(12).fill(0.5),
        },
        { name: 'model.norm.weight', dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) },
        { name: 'ids', dtype: 'I64', shape: [2], data: new BigInt64Array([1n, -1n]) },
        { name: 'mask', dtype: 'BOOL', shape: [1, 3], data: new Uint8Array([1, 0, 1]) },
        { name: 'scalar', dtype: 'BF16', shape: [], data: new Float32Array([2]) },
        { name: 'empty', dtype: 'U8', shape: [0, 7], data: new Uint8Array(0) },
      ],
      { metadata: { format: 'pt', note: 'é' } },
    ),
    await writeSafetensorsToBuffer([
      { name: 'only', dtype: 'F8_E4M3', shape: [5], data: new Uint8Array([1, 2, 3, 4, 5]) },
    ]),
    rawSafetensors('{}'),
  ];
});

describe('hostile safetensors files', () => {
  it('the corpus parses', () => {
    for (const bytes of corpus) expect(outcome(bytes)).toBe('ok');
  });

  it('every truncation of every corpus file is refused', () => {
    let count = 0;
    for (const bytes of corpus) {
      for (let length = 0; length < bytes.byteLength; length++) {
        // The data section must end exactly at the end of the file, so no truncation parses.
        expect(outcome(bytes.slice(0, length))).not.toBe('ok');
        count++;
      }
    }
    expect(count).toBeGreaterThan(400);
  });

  it('bit flips', async () => {
    await checkBitFlips(corpus, outcome, { maxFlips: 6, numRuns: 3500 });
  });

  it('hostile header lengths and overwritten bytes', () => {
    const length = fc.oneof(
      fc.constantFrom(
        0n,
        1n,
        7n,
        8n,
        100_000_000n,
        100_000_001n,
        2n ** 32n,
        2n ** 53n,
        2n ** 63n,
        2n ** 64n - 1n,
      ),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    );
    fc.assert(
      fc.property(
        fc.nat(),
        length,
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 4 }),
        (which, size, position, patch) => {
          const bytes = corpus[which % corpus.length]!.slice();
          if (position % 2 === 0) new DataView(bytes.buffer).setBigUint64(0, size, true);
          else
            bytes.set(
              patch.subarray(0, Math.max(0, bytes.byteLength - (position % bytes.byteLength))),
              position % bytes.byteLength,
            );
          outcome(bytes);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('hand-made hostile headers', () => {
    const number = fc.oneof(
      fc.integer({ min: -3, max: 64 }),
      fc.constantFrom(2 ** 31, 2 ** 53, 2 ** 64, 1e308, 0.5, -0, Number.MAX_SAFE_INTEGER),
    );
    const jsonValue = fc.oneof(
      number,
      fc.string({ maxLength: 6 }),
      fc.constant(null),
      fc.boolean(),
      fc.array(number, { maxLength: 3 }),
    );
    const tensorEntry = fc.record(
      {
        dtype: fc.oneof(
          fc.constantFrom(
            'F64',
            'F32',
            'F16',
            'BF16',
            'I64',
            'I32',
            'I16',
            'I8',
            'U8',
            'BOOL',
            'F8_E5M2',
          ),
          fc.string({ maxLength: 5 }),
          jsonValue,
        ),
        shape: fc.oneof(fc.array(number, { maxLength: 4 }), jsonValue),
        data_offsets: fc.oneof(
          fc.tuple(number, number),
          fc.array(number, { maxLength: 3 }),
          jsonValue,
        ),
      },
      { requiredKeys: [] },
    );
    const header = fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.constantFrom('__metadata__', '__proto__', 'constructor'),
      ),
      fc.oneof(
        tensorEntry,
        jsonValue,
        fc.dictionary(fc.string({ maxLength: 4 }), jsonValue, { maxKeys: 3 }),
      ),
      { maxKeys: 5 },
    );
    fc.assert(
      fc.property(
        header,
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom('', ' ', '   ', '\n'),
        (json, data, padding) => {
          outcome(rawSafetensors(JSON.stringify(json) + padding, data));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random text and bytes as headers (deep nesting, bad UTF-8, garbage)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc
        .integer({ min: 1, max: 20_000 })
        .map((depth) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`),
      fc
        .integer({ min: 1, max: 20_000 })
        .map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
      fc.constantFrom(
        '{"a":1,"a":2}',
        '{"__metadata__":{"__proto__":"x"}}',
        '{"\\u0000":{}}',
        '{}\u0000',
        '\ufeff{}',
      ),
    );
    fc.assert(
      fc.property(text, fc.uint8Array({ maxLength: 32 }), fc.boolean(), (header, bytes, raw) => {
        if (raw) {
          const data = new Uint8Array(8 + bytes.byteLength);
          new DataView(data.buffer).setBigUint64(0, BigInt(bytes.byteLength), true);
          data.set(bytes, 8);
          outcome(data);
        } else {
          outcome(rawSafetensors(header, bytes));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('hostile indexes', () => {
    const shard = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('../x', '/abs', 'C:x', '..', '.', 'a\\b', 'ok.safetensors', ''),
      fc.integer(),
      fc.constant(null),
    );
    const index = fc.oneof(
      fc.record(
        {
          metadata: fc.oneof(fc.object({ maxDepth: 1 }), fc.integer()),
          weight_map: fc.dictionary(fc.string({ maxLength: 6 }), shard, { maxKeys: 6 }),
        },
        { requiredKeys: [] },
      ),
      fc.anything({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(index, (value) => {
        cases++;
        try {
          const parsed = parseSafetensorsIndex(JSON.stringify(value) ?? 'undefined');
          for (const name of parsed.shards) expect(name).not.toMatch(/[/\\]|^\.\.?$/);
        } catch (error) {
          expect(expectKnownParseError(error)).toMatch(/index|limit/);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the async reader agrees with the sync parser', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.integer({ min: 8, max: 200 }),
        async (which, flips, cut, window) => {
          let bytes = flipBits(corpus[which % corpus.length]!, flips);
          if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.byteLength + 1));
          const expected = outcome(bytes);
          const actual = await readSafetensorsHeader(new Blob([new Uint8Array(bytes)]), {
            initialReadSize: window,
          }).then(
            () => 'ok',
            (error) => expectKnownParseError(error),
          );
          // A file shorter than 8 bytes is "truncated" for both.
          expect(actual).toBe(expected);
        },
      ),
      { numRuns: 800 },
    );
  });

  it('ran more than 10,000 hostile cases', () => {
    // Counted by outcome() and the index property above.
    expect(cases).toBeGreaterThan(10_000);
  });
});
