/** The unigram model keeps its per-word cache bounded in bytes, not only in entries. */
import { describe, expect, it } from 'vitest';
import { UnigramModel } from './unigram-model';

describe('UnigramModel', () => {
  const model = new UnigramModel({
    vocabulary: [
      ['<unk>', 0],
      ['a', -2],
      ['b', -2],
      ['ab', -1],
    ],
    unkId: 0,
  });

  it('caches short words but not a huge one', () => {
    const ids: number[] = [];
    model.tokenize('abab', ids, null);
    expect(ids.map((id) => model.idToToken(id))).toEqual(['ab', 'ab']);
    expect(model.cachedWords).toBe(1);
    const huge: number[] = [];
    model.tokenize('ab'.repeat(50_000), huge, null);
    expect(huge).toHaveLength(50_000);
    expect(model.cachedWords).toBe(1);
  });
});
