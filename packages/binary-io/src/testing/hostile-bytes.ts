/**
 * Helpers for hostile-input tests of binary parsers: corrupt known-good files bit by bit and
 * check that the parser answers every corruption the way the test's `outcome` demands.
 * fast-check is loaded only when a property runs, so importing this module needs nothing more.
 */

/** One bit flip: a byte position (taken modulo the length) and a bit from 0 to 7. */
export type BitFlip = readonly [position: number, bit: number];

/** A copy of `bytes` with each flip applied (positions wrap, so any natural number will do). */
export function flipBits(bytes: Uint8Array, flips: readonly BitFlip[]): Uint8Array {
  const copy = bytes.slice();
  if (copy.byteLength === 0) return copy;
  for (const [position, bit] of flips) copy[position % copy.byteLength]! ^= 1 << (bit & 7);
  return copy;
}

export interface CheckBitFlipsOptions {
  /** Most flips per case (at least one is always made). */
  maxFlips: number;
  /** How many cases fast-check runs. */
  numRuns: number;
}

/**
 * Property: for any file of `corpus` with 1 to `maxFlips` random bits flipped, `outcome` holds
 * (it should throw on anything but the parser's own errors). Needs `fast-check` installed.
 */
export async function checkBitFlips(
  corpus: readonly Uint8Array[],
  outcome: (bytes: Uint8Array) => unknown,
  options: CheckBitFlipsOptions,
): Promise<void> {
  const { default: fc } = await import('fast-check');
  fc.assert(
    fc.property(
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), {
        minLength: 1,
        maxLength: options.maxFlips,
      }),
      (which, flips) => {
        outcome(flipBits(corpus[which % corpus.length]!, flips));
      },
    ),
    { numRuns: options.numRuns },
  );
}
