/**
 * Hostile llama2.c headers and tokenizer files: random and overwritten bytes must give a
 * ParseError with a llama2c code (or a layout whose every slot lies inside the size it
 * declares), never another exception, a hang or a giant allocation.
 */
import { ParseError } from '@llmr/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LLAMA2C_MAGIC, llama2cLayout, parseLlama2cHeader } from './llama2c-header';
import { isLlama2cCheckpoint, openLlama2c } from './llama2c-reader';
import { parseLlama2cTokenizer } from './llama2c-tokenizer';

const CODES = new Set([
  'llama2c-invalid-header',
  'llama2c-unsupported-version',
  'llama2c-size-mismatch',
  'llama2c-invalid-tokenizer',
]);

function expectParseError(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (!ParseError.isInstance(error) || !CODES.has(error.code)) throw error;
  }
}

function header(version: number, ints: number[], shared: number, groupSize: number): Uint8Array {
  const bytes = new Uint8Array(256);
  const view = new DataView(bytes.buffer);
  if (version === 0) {
    ints.forEach((value, index) => {
      view.setInt32(index * 4, value, true);
    });
    return bytes;
  }
  view.setUint32(0, LLAMA2C_MAGIC, true);
  view.setInt32(4, version, true);
  ints.forEach((value, index) => {
    view.setInt32(8 + index * 4, value, true);
  });
  view.setUint8(36, shared);
  view.setInt32(37, groupSize, true);
  return bytes;
}

describe('hostile llama2.c input', () => {
  it('headers with arbitrary sizes parse or are refused, and layouts stay inside their size', () => {
    const size = fc.oneof(
      fc.integer({ min: -3, max: 300 }),
      fc.constantFrom(0x7fffffff, -0x80000000, 1 << 20, (1 << 20) + 1),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(size, { minLength: 7, maxLength: 7 }),
        fc.integer({ min: 0, max: 2 }),
        size,
        (version, ints, shared, groupSize) => {
          const bytes = header(version, ints, shared, groupSize);
          expectParseError(() => {
            const parsed = parseLlama2cHeader(bytes);
            const layout = llama2cLayout(parsed);
            for (const slot of layout.slots) {
              expect(slot.offset).toBeGreaterThanOrEqual(parsed.dataOffset);
              expect(slot.offset).toBeLessThanOrEqual(layout.size);
            }
            isLlama2cCheckpoint(bytes, layout.size);
          });
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a file whose size disagrees with its header is refused before any tensor is read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 28, maxLength: 600 }), async (bytes) => {
        try {
          const checkpoint = await openLlama2c(bytes);
          for (const name of checkpoint.names) await checkpoint.readFloat32(name);
        } catch (error) {
          if (!ParseError.isInstance(error) || !CODES.has(error.code)) throw error;
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('random tokenizer.bin bytes for any vocabulary size', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.integer({ min: 0, max: 1 << 24 }),
        (bytes, vocab) => {
          expectParseError(() => parseLlama2cTokenizer(bytes, vocab));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
