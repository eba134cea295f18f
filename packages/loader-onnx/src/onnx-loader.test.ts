/**
 * The loader and its models on onnxruntime-node: the conformance kit, then what the kit
 * does not cover (greedy tokens against the float64 reference, KV cache reuse, batching,
 * logprobs, JSON schemas, chat).
 */

import { collectStream, generate, InvalidArgumentError, type ModelV1 } from '@llmr/core';
import { testLoader, testModel } from '@llmr/core/test';
import { createNodeEngine } from '@llmr/engine-node';
import { encodeWithBpe, oracleContinuation, referenceGreedy } from '@llmr/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokenOnnxDir, onnxFixture, removeOnnxFixtures } from './__fixtures__/onnx-fixture';
import { createOnnxLoader, onnxLoader } from './onnx-loader';
import type { OnnxModel } from './onnx-model';

const engine = createNodeEngine({ threads: 1 });
const random = await onnxFixture('random');
const broken = await brokenOnnxDir();
afterAll(removeOnnxFixtures);

testModel({
  name: 'onnx (random fixture, onnxruntime-node)',
  createModel: () => onnxLoader.doLoad(random.onnxDir, { engine }),
});

testLoader({
  loader: onnxLoader,
  sources: [random.onnxDir, `${random.onnxDir}/onnx/model.onnx`],
  foreignSources: ['definitely-not-a-model.txt', 'other:thing', 'hf:org/repo', random.dir],
  brokenSources: [broken, `${random.onnxDir}/missing`],
  loadOptions: { engine },
});

describe('the ONNX generation loop', () => {
  let model: OnnxModel;
  beforeAll(async () => {
    model = (await onnxLoader.doLoad(random.onnxDir, { engine })) as OnnxModel;
  });
  afterAll(() => model?.dispose());

  it('greedy tokens equal the float64 reference, with one prefill and one run per token', async () => {
    const prompt = 'The router sent';
    const promptIds = model.tokenizer.encode(prompt);
    const runsBefore = model.stats.runs;
    const result = await generate(model, { prompt, maxTokens: 10, temperature: 0 });
    expect(result.tokens).toEqual(referenceGreedy(random.config, random.weights, promptIds, 10));
    // The KV cache carries the prefix: 1 prefill + 9 decode steps (the 10th token needs no run).
    expect(model.stats.runs - runsBefore).toBe(10);
    expect(result.usage).toEqual({ inputTokens: promptIds.length, outputTokens: 10 });
  });

  it('batches concurrent requests and each gets what it gets alone', async () => {
    const prompts = ['Once upon a time', 'The quick brown fox', 'A token is', 'def fibonacci(n):'];
    const alone = [];
    for (const prompt of prompts)
      alone.push(await generate(model, { prompt, maxTokens: 12, temperature: 0.7, seed: 3 }));
    const batchedBefore = model.stats.batchedRuns;
    const together = await Promise.all(
      prompts.map((prompt) =>
        generate(model, { prompt, maxTokens: 12, temperature: 0.7, seed: 3 }),
      ),
    );
    expect(together.map((result) => result.tokens)).toEqual(alone.map((result) => result.tokens));
    expect(model.stats.batchedRuns).toBeGreaterThan(batchedBefore);
    // How many requests share one step depends on when each prefill ends (a loaded runner
    // spreads them out); at least two must, and their tokens must not change.
    expect(model.stats.largestBatch).toBeGreaterThanOrEqual(2);
  });

  it('returns logprobs and top logprobs that agree with each other', async () => {
    const result = await generate(model, {
      prompt: 'Once upon a time',
      maxTokens: 4,
      temperature: 0,
      logprobs: true,
      topLogprobs: 3,
    });
    expect(result.logprobs).toHaveLength(4);
    for (const entry of result.logprobs!) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.topLogprobs).toHaveLength(3);
      // Greedy: the chosen token is the most likely one.
      expect(entry.topLogprobs[0]!.logprob).toBeCloseTo(entry.logprob, 6);
      expect(entry.topLogprobs[0]!.token).toBe(entry.token);
      expect(entry.bytes).toBeDefined();
    }
  });

  it('follows a JSON schema exactly, even from a model that knows no JSON', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 12 },
        age: { type: 'integer' },
        ok: { type: 'boolean' },
        tags: { type: 'array', items: { enum: ['fox', 'dog'] }, maxItems: 3 },
      },
      required: ['name', 'age', 'ok', 'tags'],
    };
    for (const seed of [1, 2, 3]) {
      const result = await generate(model, {
        prompt: 'Once upon a time',
        maxTokens: 120,
        temperature: 1,
        seed,
        responseFormat: { type: 'json', schema },
      });
      expect(result.finishReason).toBe('stop');
      const value = JSON.parse(result.text);
      expect(Object.keys(value).sort()).toEqual(['age', 'name', 'ok', 'tags']);
      expect(typeof value.name).toBe('string');
      expect([...value.name].length).toBeLessThanOrEqual(12);
      expect(Number.isInteger(value.age)).toBe(true);
      expect(typeof value.ok).toBe('boolean');
      expect(value.tags.every((tag: string) => tag === 'fox' || tag === 'dog')).toBe(true);
    }
  });

  it('renders chat messages with the chat template', async () => {
    const result = await generate(model, {
      messages: [{ role: 'user', content: 'Hello' }],
      maxTokens: 3,
      temperature: 0,
    });
    const expected = model.tokenizer.encode(
      '<|begin_of_text|><|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n',
      { addSpecialTokens: false },
    );
    expect(result.usage.inputTokens).toBe(expected.length);
    expect(model.info.capabilities).toContain('chat');
  });

  it('refuses a prompt longer than the context', async () => {
    const error = await model
      .doGenerate({ prompt: 'token '.repeat(600), maxTokens: 2 })
      .catch((caught) => caught);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
  });

  it('penalties change greedy output; the same seed repeats it', async () => {
    const base = { prompt: 'The lazy dog', maxTokens: 16, temperature: 0 };
    const plain = await generate(model, base);
    const penalized = await generate(model, { ...base, repetitionPenalty: 5, presencePenalty: 2 });
    expect(penalized.tokens).not.toEqual(plain.tokens);
    const again = await generate(model, { ...base, repetitionPenalty: 5, presencePenalty: 2 });
    expect(again.tokens).toEqual(penalized.tokens);
  });
});

describe('the oracle through ONNX', () => {
  it.each(['f32', 'q4'] as const)('(%s) gives its closed-form continuation', async (dtype) => {
    const oracle = await onnxFixture('oracle', dtype);
    const model: ModelV1 = await onnxLoader.doLoad(oracle.onnxDir, { engine });
    try {
      const prompt = 'The lazy dog';
      const ids = [
        oracle.bpe.specialTokens['<|begin_of_text|>'],
        ...encodeWithBpe(oracle.bpe, prompt),
      ];
      const { stream } = await model.doStream({ prompt, maxTokens: 12, temperature: 0 });
      const result = await collectStream(stream);
      expect(result.tokens).toEqual(oracleContinuation(oracle.successor!, ids.at(-1)!, 12));
    } finally {
      await model.dispose();
    }
  });
});

describe('a transformers.js-style fp16 directory (onnx/model_fp16.onnx, float16 KV cache and logits)', () => {
  it('is found by dtype, decodes like the reference, and batches float16 caches', async () => {
    const { convertHfToOnnx } = await import('@llmr/convert');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const output = await mkdtemp(join(tmpdir(), 'llmr-fp16-'));
    await convertHfToOnnx({
      input: random.dir,
      output,
      dtype: 'f16',
      ioDtype: 'float16',
      fileName: 'model_fp16.onnx',
    });
    const model = (await onnxLoader.doLoad(output, { engine, dtype: 'fp16' })) as OnnxModel;
    try {
      expect(model.info.quantization).toBe('fp16');
      const prompt = 'The router sent';
      const ids = model.tokenizer.encode(prompt);
      const result = await generate(model, { prompt, maxTokens: 8, temperature: 0 });
      expect(result.tokens).toEqual(referenceGreedy(random.config, random.weights, ids, 8));
      const prompts = ['Once upon a time', 'The quick brown fox', 'A token is'];
      const alone = [];
      for (const text of prompts)
        alone.push((await generate(model, { prompt: text, maxTokens: 8, temperature: 0 })).tokens);
      const together = await Promise.all(
        prompts.map((text) => generate(model, { prompt: text, maxTokens: 8, temperature: 0 })),
      );
      expect(together.map((entry) => entry.tokens)).toEqual(alone);
      expect(model.stats.batchedRuns).toBeGreaterThan(0);
    } finally {
      await model.dispose();
      await rm(output, { recursive: true, force: true });
    }
  });
});

describe('engine choice', () => {
  it('picks the best available engine among several and says why', async () => {
    const loader = createOnnxLoader({
      engines: [
        {
          ...createNodeEngine({ name: 'missing-gpu' }),
          capabilities: { device: 'gpu', dtypes: [] },
          isAvailable: async () => false,
        },
        engine,
      ],
    });
    const model = (await loader.doLoad(random.onnxDir)) as OnnxModel & {
      engineExplanation: string;
    };
    expect(model.engineExplanation).toMatch(
      /^onnxruntime-node \(cpu\); unavailable here: missing-gpu/,
    );
    await model.dispose();
  });

  it('passes an execution provider to the engine, and its clear refusal back', async () => {
    const cpu = await onnxLoader.doLoad(random.onnxDir, { engine, executionProvider: 'cpu' });
    expect(
      (await generate(cpu, { prompt: 'The router', maxTokens: 3, temperature: 0 })).tokens,
    ).toHaveLength(3);
    await cpu.dispose();
    const error = await onnxLoader
      .doLoad(random.onnxDir, { engine, executionProvider: 'no-such-device' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'execution-provider-unavailable' });
    expect(String((error as Error).message)).toMatch(
      /onnxruntime-node cannot run on the "no-such-device" execution provider here: this runtime offers cpu/,
    );
  });

  it('without an engine, says which packages provide one', async () => {
    await expect(onnxLoader.doLoad(random.onnxDir)).rejects.toThrow(/@llmr\/engine-node/);
  });
});
