import { describe, expect, it } from 'vitest';
import { createSampler, logSoftmax, topEntries } from './sampler';

const logits = Float32Array.from([1, 3, 2.5, -1, 0, 2.9]);

function histogram(options: Parameters<typeof createSampler>[0], draws = 2000) {
  const sampler = createSampler({ seed: 7, ...options });
  const counts = new Array(logits.length).fill(0);
  for (let index = 0; index < draws; index++) counts[sampler.sample(logits).token]++;
  return counts;
}

describe('the sampler', () => {
  it('temperature 0 is argmax; top-k 1 is argmax at any temperature', () => {
    expect(createSampler({ temperature: 0 }).sample(logits).token).toBe(1);
    expect(histogram({ temperature: 5, topK: 1 })).toEqual([0, 2000, 0, 0, 0, 0]);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const sampler = createSampler({ temperature: 1, seed });
      return Array.from({ length: 20 }, () => sampler.sample(logits).token);
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('follows the softmax at temperature 1 (within sampling noise)', () => {
    const counts = histogram({ temperature: 1 }, 20_000);
    const probabilities = Array.from(logSoftmax(logits), Math.exp);
    counts.forEach((count, token) => {
      expect(Math.abs(count / 20_000 - probabilities[token]!)).toBeLessThan(0.015);
    });
  });

  it('top-k, top-p and min-p keep only the head of the distribution', () => {
    expect(histogram({ temperature: 1, topK: 2 }).map((count) => count > 0)).toEqual([
      false,
      true,
      false,
      false,
      false,
      true,
    ]);
    // p(1) ~ 0.39, p(5) ~ 0.36: top-p 0.5 keeps both, no more.
    expect(histogram({ temperature: 1, topP: 0.5 }).map((count) => count > 0)).toEqual([
      false,
      true,
      false,
      false,
      false,
      true,
    ]);
    // min-p 0.5: tokens at least half as likely as the best (e^-0.5 ~ 0.61 for token 2).
    expect(histogram({ temperature: 1, minP: 0.5 }).map((count) => count > 0)).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
    ]);
  });

  it('never picks a masked token', () => {
    const mask = Uint8Array.from([1, 0, 0, 1, 1, 0]);
    const sampler = createSampler({ temperature: 2, seed: 3 });
    for (let index = 0; index < 200; index++)
      expect(mask[sampler.sample(logits, { mask }).token]).toBe(1);
    expect(createSampler({ temperature: 0 }).sample(logits, { mask }).token).toBe(0);
  });

  it('applies repetition, frequency and presence penalties the way HF and OpenAI define them', () => {
    // Token 1 (3.0) seen twice: repetition 2 -> 1.5; frequency 0.5 * 2 and presence 0.2 -> 0.3.
    const sampler = createSampler({
      temperature: 0,
      repetitionPenalty: 2,
      frequencyPenalty: 0.5,
      presencePenalty: 0.2,
    });
    expect(sampler.sample(logits, { history: [1, 1] }).token).toBe(5);
    // A negative logit grows more negative under the repetition penalty.
    const negative = Float32Array.from([-1, -2]);
    expect(
      createSampler({ temperature: 0, repetitionPenalty: 3 }).sample(negative, { history: [0] })
        .token,
    ).toBe(1);
  });

  it('reports raw log-probabilities and the top alternatives', () => {
    const result = createSampler({ temperature: 0 }).sample(logits, { topLogprobs: 3 });
    const expected = logSoftmax(logits);
    expect(result.logprob).toBeCloseTo(expected[1]!, 10);
    expect(result.topLogprobs!.map((entry) => entry.token)).toEqual([1, 5, 2]);
    expect(topEntries([0, 5, 5, 1], 2)).toEqual([
      { token: 1, logprob: 5 },
      { token: 2, logprob: 5 },
    ]);
  });
});
