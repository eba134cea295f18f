import { createSeededRandom } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { createRouter, QualityScorer } from '@llmr/router';
import { describe, expect, it } from 'vitest';
import { ExperimentManager } from '../experiments/experiment-manager';
import { FeedbackRecorder } from './feedback-recorder';
import { LlmJudge, parseJudgeScore } from './llm-judge';
import { QualityScores } from './quality-scores';

const DAY = 24 * 3_600_000;

describe('QualityScores', () => {
  it('decays old ratings by half-life and waits for the minimum sample count', () => {
    let time = 0;
    const scores = new QualityScores({ halfLifeMs: DAY, minSamples: 10, now: () => time });
    for (let index = 0; index < 9; index++) scores.add('m', 1);
    expect(scores.score('m')).toBeUndefined();
    scores.add('m', 1);
    expect(scores.score('m')).toBe(1);
    time = DAY;
    for (let index = 0; index < 10; index++) scores.add('m', 0);
    // The ten 1s now weigh 5, the ten 0s weigh 10: 5 / 15.
    expect(scores.score('m')).toBeCloseTo(1 / 3, 12);
  });

  it('scores per task tag apart from the overall score', () => {
    // A fixed clock: ratings a millisecond apart would already weigh differently.
    const scores = new QualityScores({ minSamples: 1, now: () => 0 });
    scores.add('m', 1, 'code');
    scores.add('m', 0, 'chat');
    expect(scores.score('m', 'code')).toBe(1);
    expect(scores.score('m', 'chat')).toBe(0);
    expect(scores.score('m')).toBe(0.5);
  });

  it('feeds the router’s QualityScorer in the shape its strategies read', () => {
    const scores = new QualityScores({ minSamples: 2 });
    const scorer = new QualityScorer({ defaultQuality: 0.5 });
    const unsubscribe = scores.subscribe((model, score) => scorer.record(model, score));
    for (let index = 0; index < 20; index++) {
      scores.add('good', 0.9);
      scores.add('bad', 0.1);
    }
    scores.add('rare', 1);
    unsubscribe();
    const priors = new Map(scores.priors());
    expect(priors.get('good')).toBeCloseTo(0.9, 12);
    expect(priors.get('rare')).toBeUndefined();
    scorer.setPriors(scores.priors());
    expect(scorer.score('good')).toBeGreaterThan(scorer.score('bad'));
    // A model below the minimum sample count keeps the default prior.
    expect(scorer.prior('rare')).toBe(0.5);
  });
});

describe('feedback steering the real router', () => {
  it('moves the quality-first strategy to the model users rate higher', async () => {
    const router = createRouter({
      models: [
        { id: 'a', model: createMockModel({ id: 'a', mode: 'script', replies: ['from a'] }) },
        { id: 'b', model: createMockModel({ id: 'b', mode: 'script', replies: ['from b'] }) },
      ],
      routes: { best: { models: ['a', 'b'], strategy: 'quality-first' } },
    });
    const route = async () => (await router.generate({ model: 'best', prompt: 'q' })).text;
    expect(await route()).toBe('from a');
    const quality = new QualityScores({ minSamples: 5 });
    quality.subscribe((model, score) => router.recordQuality(model, score));
    const recorder = new FeedbackRecorder({ quality });
    for (let index = 0; index < 20; index++) {
      recorder.registerResponse({ responseId: `a${index}`, model: 'a' });
      recorder.registerResponse({ responseId: `b${index}`, model: 'b' });
      await recorder.submit({ responseId: `a${index}`, thumbs: 'down' });
      await recorder.submit({ responseId: `b${index}`, thumbs: 'up' });
    }
    expect(await route()).toBe('from b');
  });
});

describe('FeedbackRecorder', () => {
  it('stores feedback with its routing data and passes it to quality and the experiment', async () => {
    const quality = new QualityScores({ minSamples: 1 });
    const experiments = new ExperimentManager({
      experiments: [{ id: 'exp', variants: [{ name: 'a' }, { name: 'b' }] }],
    });
    const recorder = new FeedbackRecorder({ quality, experiments, now: () => 42 });
    recorder.registerResponse({
      responseId: 'chatcmpl-1',
      model: 'small',
      route: '/v1/chat/completions',
      taskTag: 'code',
      experiment: { id: 'exp', variant: 'b' },
    });
    const entry = await recorder.submit({ responseId: 'chatcmpl-1', thumbs: 'up', text: 'great' });
    expect(entry).toMatchObject({ score: 1, thumbs: 'up', text: 'great', at: 42 });
    expect(entry.response).toMatchObject({ model: 'small', route: '/v1/chat/completions' });
    expect(quality.score('small', 'code')).toBe(1);
    expect(experiments.report('exp').variants[1]?.metrics.feedback).toMatchObject({
      count: 1,
      mean: 1,
    });
  });

  it('rejects bad feedback with what to send instead', async () => {
    const recorder = new FeedbackRecorder({ maxResponses: 2 });
    for (const id of ['r1', 'r2', 'r3']) recorder.registerResponse({ responseId: id, model: 'm' });
    await expect(recorder.submit({ responseId: 'r1', score: 1 })).rejects.toThrow(
      /No response "r1" is known/,
    );
    await expect(recorder.submit({ responseId: 'r2', score: 2 })).rejects.toThrow(
      /"score" must be a number from 0 to 1/,
    );
    await expect(recorder.submit({ responseId: 'r2' })).rejects.toThrow(/exactly one of "score"/);
    await expect(
      recorder.submit({ responseId: 'r2', thumbs: 'sideways' as never }),
    ).rejects.toThrow(/"up" or "down"/);
    await expect(
      recorder.submit({ responseId: 'r3', score: 0.5, text: 'x'.repeat(5000) }),
    ).rejects.toThrow(/at most 4000/);
    expect((await recorder.submit({ responseId: 'r3', score: 0.5 })).score).toBe(0.5);
  });
});

describe('LlmJudge', () => {
  it('parses scores', () => {
    expect(parseJudgeScore('Score: 8. Clear and right.')).toBeCloseTo(7 / 9, 12);
    expect(parseJudgeScore(' 10 ')).toBe(1);
    expect(parseJudgeScore('Score: 11')).toBeUndefined();
    expect(parseJudgeScore('no idea')).toBeUndefined();
  });

  it('judges a sampled fraction in the background and keeps verdicts apart', async () => {
    const judgeQuality = new QualityScores({ minSamples: 1 });
    const judge = new LlmJudge({
      judge: createMockModel({
        id: 'judge',
        mode: 'script',
        replies: ['Score: 8 - correct and brief.'],
      }),
      rubric: 'Correct, brief, polite.',
      sampleRate: 0.25,
      random: createSeededRandom(11),
      quality: judgeQuality,
      concurrency: 2,
    });
    const expected = (() => {
      const replay = createSeededRandom(11);
      return Array.from({ length: 80 }, () => replay() < 0.25).filter(Boolean).length;
    })();
    let sampled = 0;
    for (let index = 0; index < 80; index++) {
      if (judge.maybeJudge({ responseId: `r${index}`, model: 'small', prompt: 'q', response: 'a' }))
        sampled++;
    }
    expect(sampled).toBe(expected);
    expect(sampled).toBeGreaterThan(5);
    await judge.idle();
    expect(judge.verdicts()).toHaveLength(sampled);
    expect(judge.verdicts()[0]).toMatchObject({
      model: 'small',
      raw: 'Score: 8 - correct and brief.',
    });
    expect(judgeQuality.score('small')).toBeCloseTo(7 / 9, 12);
  });

  it('records a judge answer without a score as an error, not a rating', async () => {
    const judge = new LlmJudge({
      judge: createMockModel({ id: 'judge', mode: 'script', replies: ['I cannot say.'] }),
      rubric: 'r',
      sampleRate: 1,
    });
    judge.maybeJudge({ responseId: 'r', model: 'm', prompt: 'q', response: 'a' });
    await judge.idle();
    expect(judge.verdicts()[0]).toMatchObject({
      score: undefined,
      error: expect.stringMatching(/without a score/),
    });
  });
});
