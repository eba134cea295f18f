/**
 * createGenerationModel and DecodeScheduler over a SequenceStepper that is not a graph
 * session. The stepper here is a test double of a runtime's forward pass, named as such: a
 * script (the logits after n generated tokens put all weight on the script's token n, then
 * on end of sequence), so the greedy output is known without any neural engine, and it
 * records what ran together.
 */
import { AbortError, ModelDisposedError } from '@llmr/core';
import { fixtureTokenizer, toTokenizerConfig, toTokenizerJson } from '@llmr/fixtures';
import { loadTokenizer, type Tokenizer } from '@llmr/tokenizer';
import { describe, expect, it } from 'vitest';
import { DecodeScheduler } from './decode-scheduler';
import { createGenerationModel, type GenerationModelSettings } from './generation-model';
import type { SequenceStep, SequenceStepper } from './sequence-stepper';

const bpe = fixtureTokenizer(320);
const tokenizer: Tokenizer = loadTokenizer(toTokenizerJson(bpe), toTokenizerConfig(bpe) as never);
const eos = bpe.specialTokens['<|im_end|>'];
const tokensOf = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });

interface ScriptCache {
  length: number;
  /** Tokens of the first step (the prompt). */
  promptLength?: number;
}

/** Test double of a forward pass: the logits follow `script`, then end of sequence. */
class ScriptStepper implements SequenceStepper<ScriptCache> {
  readonly batches: number[] = [];

  constructor(
    private readonly script: readonly number[],
    private readonly batchable: (item: SequenceStep<ScriptCache>) => boolean,
  ) {}

  isBatchable(item: SequenceStep<ScriptCache>): boolean {
    return this.batchable(item);
  }

  private advance(item: SequenceStep<ScriptCache>): Float32Array {
    item.cache.promptLength ??= item.tokens.length;
    item.cache.length += item.tokens.length;
    const generated = item.cache.length - item.cache.promptLength;
    const logits = new Float32Array(tokenizer.vocabularySize).fill(-10);
    logits[this.script[generated] ?? eos] = 10;
    return logits;
  }

  async step(item: SequenceStep<ScriptCache>, abortSignal?: AbortSignal) {
    if (abortSignal?.aborted) throw new AbortError({ cause: abortSignal.reason });
    this.batches.push(1);
    return this.advance(item);
  }

  async batchStep(items: readonly SequenceStep<ScriptCache>[]) {
    this.batches.push(items.length);
    return items.map((item) => this.advance(item));
  }
}

/** A model whose greedy continuation of any prompt is `target`, then end of sequence. */
function scriptModel(
  target: readonly number[],
  overrides: Partial<GenerationModelSettings<ScriptCache>> = {},
) {
  const stepper = new ScriptStepper(
    target,
    (item) => item.tokens.length === 1 && item.cache.length > 0,
  );
  const closed: ScriptCache[] = [];
  let released = 0;
  const model = createGenerationModel<ScriptCache>({
    info: { id: 'script', format: 'test', contextLength: 256 },
    tokenizer,
    eos: [eos],
    vocabularySize: tokenizer.vocabularySize,
    runtime: '@llmr/decoder',
    stepper,
    batching: true,
    maxBatchSize: 8,
    createCache: () => ({ length: 0 }),
    closeCache: (cache, lastStep) => {
      void lastStep.then(() => closed.push(cache));
    },
    metadata: { runtime: 'script' },
    release: () => {
      released++;
    },
    ...overrides,
  });
  return { model, stepper, closed, released: () => released };
}

describe('createGenerationModel over a SequenceStepper', () => {
  it('generates the greedy continuation, ends at end of sequence, and reports usage', async () => {
    const target = tokensOf(' quick brown');
    const { model, closed } = scriptModel(target);
    const prompt = tokenizer.encode('hello');
    const result = await model.doGenerate({ prompt: 'hello' });
    expect(result.tokens).toEqual(target);
    expect(result.text).toBe(' quick brown');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({ inputTokens: prompt.length, outputTokens: target.length });
    expect(result.metadata).toMatchObject({ runtime: 'script' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(closed).toHaveLength(1);
    // The prompt and every generated token: the last one was fed to find the end of sequence.
    expect(closed[0]!.length).toBe(prompt.length + target.length);
  });

  it('stops at maxTokens and at a stop sequence', async () => {
    const target = tokensOf(' quick brown');
    const { model } = scriptModel(target);
    const short = await model.doGenerate({ prompt: 'hello', maxTokens: 1 });
    expect(short.tokens).toEqual(target.slice(0, 1));
    expect(short.finishReason).toBe('length');
    const stopped = await model.doGenerate({ prompt: 'hello', stopSequences: [' brown'] });
    expect(stopped.text).toBe(' quick');
    expect(stopped.finishReason).toBe('stop');
  });

  it('gives logprobs of the sampled tokens', async () => {
    const target = tokensOf(' quick');
    const { model } = scriptModel(target);
    const result = await model.doGenerate({ prompt: 'hello', logprobs: true, topLogprobs: 2 });
    expect(result.logprobs).toHaveLength(target.length);
    expect(result.logprobs![0]!.logprob).toBeCloseTo(0, 3);
    expect(result.logprobs![0]!.topLogprobs).toHaveLength(2);
  });

  it('batches concurrent decode steps where the stepper says they may share a pass', async () => {
    const target = tokensOf(' quick brown fox');
    const { model, stepper } = scriptModel(target);
    const results = await Promise.all(
      ['hello', 'hi there', 'hey'].map((prompt) => model.doGenerate({ prompt })),
    );
    for (const result of results) expect(result.tokens).toEqual(target);
    expect(model.stats.batchedRuns).toBeGreaterThan(0);
    expect(model.stats.largestBatch).toBe(3);
    expect(Math.max(...stepper.batches)).toBe(3);
  });

  it('runs every step alone when the stepper says none is batchable', async () => {
    const target = tokensOf(' quick brown fox');
    const stepper = new ScriptStepper(target, () => false);
    const scheduler = new DecodeScheduler<ScriptCache>(stepper, {
      batching: true,
      maxBatchSize: 8,
      modelId: 'script',
    });
    scheduler.active = target.length;
    await Promise.all(
      target.map((token) =>
        scheduler.run({ cache: { length: 1, promptLength: 1 }, tokens: [token] }),
      ),
    );
    expect(scheduler.stats).toEqual({ runs: target.length, batchedRuns: 0, largestBatch: 1 });
    expect(stepper.batches.every((size) => size === 1)).toBe(true);
  });

  it('rejects an aborted request with AbortError and closes its cache', async () => {
    const { model, closed } = scriptModel(tokensOf(' quick'));
    const controller = new AbortController();
    controller.abort(new Error('caller went away'));
    await expect(
      model.doGenerate({ prompt: 'hello', abortSignal: controller.signal }),
    ).rejects.toSatisfy((error) => AbortError.isInstance(error));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(closed).toHaveLength(1);
  });

  it('releases once on dispose, and refuses requests after it', async () => {
    const { model, released } = scriptModel(tokensOf(' quick'));
    await model.dispose();
    await model.dispose();
    expect(released()).toBe(1);
    await expect(model.doGenerate({ prompt: 'hello' })).rejects.toSatisfy((error) =>
      ModelDisposedError.isInstance(error),
    );
  });

  it('says chat when the tokenizer has a template, unless told otherwise', () => {
    const target = tokensOf(' quick');
    expect(tokenizer.chatTemplate).toBeDefined();
    expect(scriptModel(target).model.info.capabilities).toContain('chat');
    const plain = scriptModel(target, { hasChatTemplate: false }).model;
    expect(plain.info.capabilities).not.toContain('chat');
  });
});
