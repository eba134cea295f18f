import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AbortError,
  BusyError,
  collectStream,
  createRegistry,
  InvalidArgumentError,
  LoadError,
  type ModelV1,
} from '@llmr/core';
import { testLoader, testModel } from '@llmr/core/test';
import { oracleContinuation, referenceGreedy } from '@llmr/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TinyGguf, tinyGgufDirectory } from './__fixtures__/tiny-gguf';
import { createGgufLoader, ggufLoader } from './index';

const files = await tinyGgufDirectory();
const models: Record<string, TinyGguf> = {};
for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0'] as const)
  models[`oracle-${dtype}`] = await files.write('oracle', dtype);
models['random-f32'] = await files.write('random', 'f32', 3);
afterAll(() => files.remove());

const loader = createGgufLoader({ defaults: { contextLength: 512, sequences: 4 } });

for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0'] as const) {
  testModel({
    name: `gguf oracle ${dtype}`,
    createModel: () => loader.doLoad(models[`oracle-${dtype}`]!.path),
    prompt: 'The quick brown fox',
    maxTokens: 12,
  });
}
testModel({
  name: 'gguf random f32 (greedy)',
  createModel: () => loader.doLoad(models['random-f32']!.path),
  prompt: 'Once upon a time',
  temperature: 0,
  maxTokens: 10,
});

testLoader({
  loader: ggufLoader,
  sources: [models['oracle-q8_0']!.path, `file://${models['oracle-q4_0']!.path}`],
  foreignSources: ['mock:random', 'hf:org/repo', join(files.dir, 'missing.bin')],
  brokenSources: [join(files.dir, 'missing.gguf')],
  loadOptions: { contextLength: 256, sequences: 1 },
});

describe('GGUF models on llama.cpp', () => {
  let oracle: ModelV1;
  let random: ModelV1;
  beforeAll(async () => {
    oracle = await loader.doLoad(models['oracle-q4_0']!.path);
    random = await loader.doLoad(models['random-f32']!.path);
  });
  afterAll(async () => {
    await oracle?.dispose();
    await random?.dispose();
  });

  it('reports info from the GGUF header', () => {
    expect(oracle.info).toMatchObject({
      format: 'gguf',
      architecture: 'llama',
      contextLength: 512,
      quantization: 'Q4_0',
    });
    expect(oracle.info.capabilities).toEqual(
      expect.arrayContaining(['chat', 'completion', 'json-schema', 'grammar', 'logprobs']),
    );
    expect(oracle.info.parameterCount).toBeGreaterThan(100_000);
  });

  it('tokenizes like the fixture BPE, with BOS for raw prompts', () => {
    const fixture = models['oracle-q4_0']!;
    const text = 'Café naïve 日本語 🙂 function add(a, b)';
    expect(oracle.tokenizer!.encode(text, { addSpecialTokens: false })).toEqual(
      fixture.encode(text),
    );
    expect(oracle.tokenizer!.encode(text)[0]).toBe(fixture.config.bosTokenId);
    expect(oracle.tokenizer!.decode(fixture.encode(text))).toBe(text);
  });

  it('the oracle (Q4_0) gives its closed-form greedy continuation, as tokens and text', async () => {
    const fixture = models['oracle-q4_0']!;
    const prompt = 'The lazy dog';
    const result = await oracle.doGenerate({ prompt, maxTokens: 16, temperature: 0 });
    const expected = oracleContinuation(fixture.successor!, fixture.encode(prompt).at(-1)!, 16);
    expect(result.tokens).toEqual(expected);
    expect(result.text).toBe(oracle.tokenizer!.decode(expected));
  });

  it('the random model (F32) generates the float64 reference greedy tokens', async () => {
    const fixture = models['random-f32']!;
    const prompt = 'The router sent';
    const result = await random.doGenerate({ prompt, maxTokens: 8, temperature: 0 });
    const expected = referenceGreedy(
      fixture.config,
      fixture.weights,
      [fixture.config.bosTokenId, ...fixture.encode(prompt)],
      8,
    );
    expect(result.tokens).toEqual(expected);
  });

  it('applies the chat template and reuses the KV cache of a conversation prefix', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me about the router.' }];
    const first = await oracle.doGenerate({ messages, maxTokens: 4, temperature: 0 });
    expect(first.usage.inputTokens).toBe(
      oracle.tokenizer!.encode(
        oracle.tokenizer!.applyChatTemplate!(messages, { addGenerationPrompt: true }),
      ).length,
    );
    const second = await oracle.doGenerate({
      messages: [
        ...messages,
        { role: 'assistant', content: first.text },
        { role: 'user', content: 'And the cache?' },
      ],
      maxTokens: 4,
      temperature: 0,
    });
    expect(second.usage.cachedInputTokens).toBeGreaterThan(first.usage.inputTokens / 2);
  });

  it('constrains output to a JSON schema', async () => {
    const schema = {
      type: 'object',
      properties: { answer: { enum: ['yes', 'no'] }, confidence: { type: 'integer' } },
      required: ['answer', 'confidence'],
      additionalProperties: false,
    };
    const result = await random.doGenerate({
      prompt: 'Is it raining?',
      maxTokens: 64,
      seed: 1,
      temperature: 0.8,
      responseFormat: { type: 'json', schema },
    });
    const parsed = JSON.parse(result.text);
    expect(['yes', 'no']).toContain(parsed.answer);
    expect(Number.isInteger(parsed.confidence)).toBe(true);
  });

  it('follows a GBNF grammar', async () => {
    const result = await random.doGenerate({
      prompt: 'Answer:',
      maxTokens: 16,
      seed: 2,
      responseFormat: { type: 'grammar', grammar: 'root ::= ("yes" | "no") "."' },
    });
    expect(result.text).toMatch(/^(yes|no)\.$/);
    expect(result.finishReason).toBe('stop');
  });

  it('refuses an invalid grammar with a clear error', async () => {
    await expect(
      random.doGenerate({
        prompt: 'x',
        responseFormat: { type: 'grammar', grammar: 'root ::= (' },
      }),
    ).rejects.toSatisfy(InvalidArgumentError.isInstance);
  });

  it('turns a required tool into a tool call with valid arguments', async () => {
    const tools = [
      {
        type: 'function' as const,
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: {
          type: 'object',
          properties: { city: { enum: ['Paris', 'Tokyo'] } },
          required: ['city'],
          additionalProperties: false,
        },
      },
    ];
    const result = await random.doGenerate({
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      toolChoice: { type: 'required' },
      maxTokens: 64,
      seed: 3,
    });
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls![0]!.toolName).toBe('get_weather');
    expect(['Paris', 'Tokyo']).toContain(JSON.parse(result.toolCalls![0]!.arguments).city);
  });

  it('returns logprobs with top alternatives', async () => {
    const result = await random.doGenerate({
      prompt: 'Once',
      maxTokens: 3,
      temperature: 1,
      seed: 4,
      logprobs: true,
      topLogprobs: 3,
    });
    expect(result.logprobs).toHaveLength(3);
    for (const entry of result.logprobs!) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.topLogprobs).toHaveLength(3);
      expect(entry.topLogprobs[0]!.logprob).toBeGreaterThanOrEqual(entry.topLogprobs[2]!.logprob);
    }
  });

  it('embeds text', async () => {
    const { embeddings, usage } = await random.doEmbed!({ values: ['hello', 'world'] });
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]!.length).toBe(64);
    expect(usage.inputTokens).toBeGreaterThan(2);
  });

  it('refuses a prompt longer than the context', async () => {
    const error = await oracle
      .doGenerate({ prompt: 'word '.repeat(600) })
      .catch((caught) => caught);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/context of 512 tokens/);
  });
});

describe('resources', () => {
  it('answers BusyError beyond its queue', async () => {
    const model = await createGgufLoader().doLoad(models['oracle-f16']!.path, {
      contextLength: 256,
      sequences: 1,
      maxQueue: 1,
    });
    try {
      const calls = [1, 2, 3].map(() =>
        model.doGenerate({ prompt: 'The', maxTokens: 30, temperature: 0 }).then(
          () => 'ok',
          (error) => error,
        ),
      );
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(2);
      expect(BusyError.isInstance(outcomes.find((outcome) => outcome !== 'ok'))).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it('refuses a model that will not fit, before loading it', async () => {
    const error = await ggufLoader
      .doLoad(models['oracle-f32']!.path, { memoryBudget: 1_000_000 })
      .catch((caught) => caught);
    expect(LoadError.isInstance(error)).toBe(true);
    expect(error.code).toBe('insufficient-memory');
    expect(error.message).toMatch(
      /needs about [\d.]+ MiB \(weights .*\) but only 976\.6 KiB is available/,
    );
  });

  it('refuses a file that is not GGUF, and a truncated one, with LoadErrors', async () => {
    const notGguf = join(files.dir, 'fake.gguf');
    await writeFile(notGguf, 'definitely not gguf');
    expect(await ggufLoader.canLoad(notGguf)).toMatchObject({ confidence: 0 });
    const truncated = join(files.dir, 'truncated.gguf');
    const { readFile } = await import('node:fs/promises');
    await writeFile(truncated, (await readFile(models['oracle-f32']!.path)).subarray(0, 200));
    const error = await ggufLoader.doLoad(truncated).catch((caught) => caught);
    expect(LoadError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/not a usable GGUF file/);
  });

  it('stops a load whose signal aborts once it has started, with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new AbortError({ message: 'nobody wants this model now' });
    const error = await createGgufLoader()
      .doLoad(models['oracle-f32']!.path, {
        contextLength: 128,
        sequences: 1,
        abortSignal: controller.signal,
        // The header is read: llama.cpp is next, with the signal already aborted.
        onProgress: ({ stage }) => {
          if (stage === 'metadata') controller.abort(reason);
        },
      })
      .catch((caught) => caught);
    // The abort itself, not a load failure: callers tell a cancelled load from a broken file.
    expect(error).toBe(reason);
  });

  it('loads through the core registry by magic bytes', async () => {
    const registry = createRegistry({ loaders: [ggufLoader] });
    const resolution = await registry.resolveLoader(models['oracle-f32']!.path);
    expect(resolution.explanation).toMatch(/gguf \(confidence 1\.00: GGUF magic bytes\)/);
    const model = await registry.load(models['oracle-f32']!.path, {
      contextLength: 128,
      sequences: 1,
    });
    expect(
      (
        await collectStream(
          (
            await model.doStream({ prompt: 'The', maxTokens: 2, temperature: 0 })
          ).stream,
        )
      ).tokens,
    ).toHaveLength(2);
    await model.dispose();
  });
});
