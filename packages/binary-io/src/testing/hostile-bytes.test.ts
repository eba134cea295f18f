import { describe, expect, it } from 'vitest';
import { checkBitFlips, flipBits } from './hostile-bytes';

describe('flipBits', () => {
  it('flips bits of a copy, wrapping positions', () => {
    const original = new Uint8Array([0, 0, 0]);
    const flipped = flipBits(original, [
      [0, 0],
      [4, 7],
      [4, 1],
    ]);
    expect(Array.from(flipped)).toEqual([1, 0x82, 0]);
    expect(Array.from(original)).toEqual([0, 0, 0]);
    expect(flipBits(new Uint8Array(0), [[3, 1]])).toHaveLength(0);
  });
});

describe('checkBitFlips', () => {
  it('runs the outcome on corrupted copies, with 1 to maxFlips bits changed', async () => {
    const corpus = [new Uint8Array(64), new Uint8Array(32).fill(0xff)];
    let runs = 0;
    await checkBitFlips(
      corpus,
      (bytes) => {
        runs++;
        const source = corpus.find((file) => file.byteLength === bytes.byteLength)!;
        let changed = 0;
        for (let index = 0; index < bytes.byteLength; index++) {
          let diff = bytes[index]! ^ source[index]!;
          for (; diff; diff &= diff - 1) changed++;
        }
        expect(changed).toBeLessThanOrEqual(3);
      },
      { maxFlips: 3, numRuns: 50 },
    );
    expect(runs).toBe(50);
    expect(Array.from(corpus[0]!)).toEqual(new Array(64).fill(0));
  });

  it('fails when the outcome throws', async () => {
    await expect(
      checkBitFlips(
        [new Uint8Array(8)],
        () => {
          throw new Error('parser crashed');
        },
        { maxFlips: 1, numRuns: 5 },
      ),
    ).rejects.toThrow(/Property failed/);
  });
});
