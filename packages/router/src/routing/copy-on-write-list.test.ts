import { createSeededRandom } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { CopyOnWriteList, frozenToArray } from './copy-on-write-list';

describe('CopyOnWriteList', () => {
  it('keeps every frozen list as it was through random writes and freezes', () => {
    const random = createSeededRandom(4);
    for (const size of [0, 1, 31, 32, 33, 100, 1000]) {
      const plain = Array.from({ length: size }, (_, index) => index);
      const list = new CopyOnWriteList(plain);
      const frozen: { list: ReturnType<typeof list.freeze>; expected: number[] }[] = [];
      for (let step = 0; step < 300 && size > 0; step++) {
        if (random() < 0.4) frozen.push({ list: list.freeze(), expected: plain.slice() });
        const index = Math.floor(random() * size);
        const value = Math.floor(random() * 1e6);
        plain[index] = value;
        list.set(index, value);
      }
      expect(frozenToArray(list.freeze())).toEqual(plain);
      for (const { list: kept, expected } of frozen) expect(frozenToArray(kept)).toEqual(expected);
    }
  });

  it('hands out the same frozen list while nothing is written', () => {
    const list = new CopyOnWriteList([1, 2, 3]);
    const first = list.freeze();
    expect(list.freeze()).toBe(first);
    list.set(1, 5);
    expect(list.freeze()).not.toBe(first);
    expect(frozenToArray(first)).toEqual([1, 2, 3]);
  });
});
