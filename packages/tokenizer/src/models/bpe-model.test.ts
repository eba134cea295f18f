/** BPE merges with a heap over a linked list: long words stay fast, and results match a naive merge. */

import { createSeededRandom } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { BpeModel } from './bpe-model';

/** The textbook algorithm: repeatedly merge the lowest-ranked pair, leftmost first. */
function naiveBpe(word: string[], ranks: Map<string, number>): string[] {
  const symbols = [...word];
  for (;;) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let index = 0; index + 1 < symbols.length; index++) {
      const rank = ranks.get(`${symbols[index]} ${symbols[index + 1]}`);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = index;
      }
    }
    if (best < 0) return symbols;
    symbols.splice(best, 2, symbols[best]! + symbols[best + 1]!);
  }
}

describe('BpeModel', () => {
  const alphabet = ['a', 'b', 'c', 'd'];
  const random = createSeededRandom(3);
  const vocabulary = new Map<string, number>(alphabet.map((char, id) => [char, id]));
  const merges: Array<[string, string]> = [];
  while (merges.length < 60) {
    const tokens = [...vocabulary.keys()];
    const left = tokens[Math.floor(random() * tokens.length)]!;
    const right = tokens[Math.floor(random() * tokens.length)]!;
    if (left.length + right.length > 6 || vocabulary.has(left + right)) continue;
    vocabulary.set(left + right, vocabulary.size);
    merges.push([left, right]);
  }
  const ranks = new Map(merges.map(([left, right], rank) => [`${left} ${right}`, rank]));
  const model = new BpeModel({ vocabulary, merges });

  it('gives the same tokens as the naive algorithm', () => {
    for (let trial = 0; trial < 500; trial++) {
      const word = Array.from(
        { length: 1 + Math.floor(random() * 30) },
        () => alphabet[Math.floor(random() * 4)]!,
      );
      const ids: number[] = [];
      model.tokenize(word.join(''), ids, null);
      expect(ids.map((id) => model.idToToken(id))).toEqual(naiveBpe(word, ranks));
    }
  });

  it('merges a 200,000-character word in well under a second', () => {
    const word = Array.from({ length: 200_000 }, () => alphabet[Math.floor(random() * 4)]!).join(
      '',
    );
    const started = performance.now();
    const ids: number[] = [];
    model.tokenize(word, ids, null);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(ids.map((id) => model.idToToken(id)).join('')).toBe(word);
  });

  it('gives the scratch buffers back after a huge word', () => {
    const fresh = new BpeModel({ vocabulary, merges });
    const small = fresh.scratchCapacity;
    const huge = Array.from({ length: 100_000 }, () => alphabet[Math.floor(random() * 4)]!).join(
      '',
    );
    const ids: number[] = [];
    fresh.tokenize(huge, ids, null);
    expect(ids.map((id) => fresh.idToToken(id)).join('')).toBe(huge);
    expect(fresh.scratchCapacity).toBe(small);
    // Ordinary words still merge as before after the release.
    const after: number[] = [];
    fresh.tokenize('abcdabcd', after, null);
    expect(after.map((id) => fresh.idToToken(id))).toEqual(naiveBpe([...'abcdabcd'], ranks));
  });
});
