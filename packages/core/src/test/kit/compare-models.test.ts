/**
 * The comparison's arithmetic on distributions worked out by hand, and compareModels on the
 * kit's reference model: the same model agrees with itself; a copy that ignores the seed
 * (so its greedy run is not greedy) is caught; a model without logprobs says why that row
 * was not compared. Real loaders are compared in the CLI's validate tests.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../errors/errors';
import type { ModelV1Logprob } from '../../model/v1/model-v1-result';
import { createReferenceModel } from '../__fixtures__/reference-model';
import { compareLogprobs, compareModels } from './compare-models';

function distribution(entries: [string, number][]): ModelV1Logprob {
  const topLogprobs = entries.map(([token, probability]) => ({
    token,
    logprob: Math.log(probability),
  }));
  return { ...topLogprobs[0]!, topLogprobs };
}

describe('compareLogprobs', () => {
  it('is zero for the same distribution', () => {
    const p = distribution([
      ['a', 0.5],
      ['b', 0.3],
    ]);
    expect(compareLogprobs(p, p)).toEqual({ maxAbsError: 0, relativeError: 0, kl: 0 });
  });

  it('gives the KL of the top tokens plus the rest, and the largest logprob difference', () => {
    const p = distribution([
      ['a', 0.5],
      ['b', 0.3],
    ]);
    const q = distribution([
      ['a', 0.4],
      ['b', 0.4],
    ]);
    const result = compareLogprobs(p, q);
    // 0.5 ln(0.5/0.4) + 0.3 ln(0.3/0.4) + 0.2 ln(0.2/0.2)
    expect(result.kl).toBeCloseTo(0.5 * Math.log(1.25) + 0.3 * Math.log(0.75), 12);
    expect(result.maxAbsError).toBeCloseTo(Math.log(4 / 3), 12);
    expect(result.relativeError).toBeCloseTo(Math.log(4 / 3) / -Math.log(0.3), 12);
  });

  it("bounds a token missing from the candidate's list by its smallest listed probability", () => {
    const p = distribution([
      ['a', 0.6],
      ['c', 0.3],
    ]);
    const q = distribution([
      ['a', 0.6],
      ['b', 0.1],
    ]);
    const result = compareLogprobs(p, q);
    expect(result.maxAbsError).toBeCloseTo(Math.log(3), 12);
    expect(result.kl).toBeGreaterThan(0.2);
  });

  it('keys alternatives by text, since runtimes report different bytes for the same piece', () => {
    const p = distribution([
      ['a', 0.5],
      ['\uFFFD', 0.2],
    ]);
    const q = distribution([
      ['a', 0.5],
      ['\uFFFD', 0.2],
    ]);
    p.topLogprobs[1]!.bytes = [239, 191, 189];
    q.topLogprobs[1]!.bytes = [202];
    expect(compareLogprobs(p, q)).toEqual({ maxAbsError: 0, relativeError: 0, kl: 0 });
  });

  it('leaves out pieces that decode alike (halves of a UTF-8 character) on both sides', () => {
    const p = distribution([
      ['a', 0.5],
      ['\uFFFD', 0.2],
      ['\uFFFD', 0.1],
    ]);
    const q = distribution([
      ['a', 0.5],
      ['\uFFFD', 0.25],
      ['b', 0.05],
    ]);
    expect(compareLogprobs(p, q)).toEqual({ maxAbsError: 0, relativeError: 0, kl: 0 });
  });
});

describe('compareModels', () => {
  const prompts = ['hello there', 'the cat sat'];

  it('finds a model in agreement with itself, and says the logprobs were not compared', async () => {
    const comparison = await compareModels(createReferenceModel(), createReferenceModel(), {
      prompts,
      steps: 5,
    });
    expect(comparison.agrees).toBe(true);
    const byCheck = Object.fromEntries(comparison.rows.map((row) => [row.check, row]));
    expect(byCheck.tokenization?.status).toBe('agrees');
    // The reference model reports text only: continuations are compared as text.
    expect(byCheck['greedy-tokens']).toMatchObject({
      status: 'agrees',
      metrics: { identicalContinuations: 2, continuations: 2 },
    });
    expect(byCheck['top-token']?.status).toBe('skipped');
    expect(byCheck.logprobs?.status).toBe('skipped');
    expect(byCheck.logprobs?.detail).toMatch(/does not report logprobs/);
  });

  it('catches a candidate whose greedy continuation differs', async () => {
    const comparison = await compareModels(
      createReferenceModel(),
      createReferenceModel('ignores-seed'),
      { prompts, steps: 5 },
    );
    expect(comparison.agrees).toBe(false);
    expect(comparison.rows.find((row) => row.check === 'greedy-tokens')?.status).toBe('differs');
  });

  it('refuses bad options with an InvalidArgumentError that names the option', async () => {
    const model = createReferenceModel();
    for (const [options, argument] of [
      [{ steps: 0 }, 'steps'],
      [{ prompts: [] }, 'prompts'],
      [{ tolerance: -1 }, 'tolerance'],
      [{ topLogprobs: 21 }, 'topLogprobs'],
    ] as const) {
      const error = await compareModels(model, model, options).catch((caught) => caught);
      expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
      expect(error.message).toContain(argument);
    }
  });
});
