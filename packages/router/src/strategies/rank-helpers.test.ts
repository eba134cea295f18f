import { createSeededRandom } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { sortIndicesByKey } from './rank-helpers';

/** The order a stable comparator sort gives: ascending key, ties in index order. */
function reference(keys: Uint32Array): number[] {
  return Array.from(keys, (_, index) => index).sort((a, b) => keys[a]! - keys[b]! || a - b);
}

describe('index sorts', () => {
  it('the radix sort gives the stable ascending order on any keys', () => {
    const random = createSeededRandom(11);
    const shapes: ((index: number) => number)[] = [
      () => Math.floor(random() * 2 ** 32),
      // Weighted-random's keys for large weights crowd towards 0 (few bytes differ).
      () => 2 ** 32 - 1 - Math.floor(random() ** (1 / 50) * (2 ** 32 - 1)),
      () => 2 ** 32 - 1 - Math.floor(random() ** (1 / 1e6) * (2 ** 32 - 1)),
      // Many ties, small keys, the extremes.
      () => Math.floor(random() * 4),
      (index) => (index % 3 === 0 ? 0 : index % 3 === 1 ? 2 ** 32 - 1 : index),
    ];
    // Reused work buffers, larger than most trials and left dirty by the one before.
    const scratch: [Uint32Array, Uint32Array] = [new Uint32Array(2000), new Uint32Array(2000)];
    for (let trial = 0; trial < 300; trial++) {
      const shape = shapes[trial % shapes.length]!;
      const count = trial < 50 ? trial : 1 + Math.floor(random() * 2000);
      const keys = Uint32Array.from({ length: count }, (_, index) => shape(index));
      const expected = reference(keys);
      expect(Array.from(sortIndicesByKey(keys)), `trial ${trial}`).toEqual(expected);
      expect(Array.from(sortIndicesByKey(keys, scratch)), `trial ${trial}, reused`).toEqual(
        expected,
      );
    }
  });
});
