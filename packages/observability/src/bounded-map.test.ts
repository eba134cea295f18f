import { describe, expect, it } from 'vitest';
import { setBounded } from './bounded-map';

describe('setBounded', () => {
  it('keeps the newest entries, renews a key set again, and hands over what it drops', () => {
    const map = new Map<string, number>();
    const dropped: number[] = [];
    for (const [key, value] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      setBounded(map, key, value, 3, (value) => dropped.push(value));
    setBounded(map, 'a', 10, 3, (value) => dropped.push(value));
    setBounded(map, 'd', 4, 3, (value) => dropped.push(value));
    expect([...map]).toEqual([
      ['c', 3],
      ['a', 10],
      ['d', 4],
    ]);
    expect(dropped).toEqual([2]);
  });
});
