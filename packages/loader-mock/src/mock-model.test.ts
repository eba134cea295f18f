import {
  collectStream,
  createRegistry,
  GenerationError,
  InvalidArgumentError,
  isAbortError,
  LoadError,
} from '@llmr/core';
import { testLoader, testModel } from '@llmr/core/test';
import { describe, expect, it } from 'vitest';
import { createMockLoader, createMockModel, mockLoader } from './index';

testModel({
  name: 'mock random',
  createModel: async () => createMockModel({ mode: 'random', seed: 3 }),
});
testModel({
  name: 'mock random with latency',
  createModel: async () =>
    createMockModel({ mode: 'random', latency: { firstTokenMs: 2, tokenMs: 1 } }),
});
testLoader({
  loader: mockLoader,
  sources: ['mock:random', 'mock:echo', 'mock:script?reply=hi'],
  foreignSources: ['model.gguf', 'hf:org/repo'],
  brokenSources: ['mock:nonsense', 'mock:random?failOnLoad=1', 'mock:random?tokenMs=-1'],
});

describe('mock model behaviour', () => {
  it('echoes the last user message', async () => {
    const model = createMockModel({ mode: 'echo' });
    const result = await model.doGenerate({
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'héllo wörld 👋' },
      ],
    });
    expect(result.text).toBe('héllo wörld 👋');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.outputTokens).toBe(new TextEncoder().encode('héllo wörld 👋').length);
  });

  it('picks the scripted reply that matches the prompt', async () => {
    const model = createMockModel({
      mode: 'script',
      replies: [{ match: 'weather', text: 'Sunny.' }, 'Default.'],
    });
    expect((await model.doGenerate({ prompt: 'what is the weather' })).text).toBe('Sunny.');
    expect((await model.doGenerate({ prompt: 'hello' })).text).toBe('Default.');
  });

  it('never splits a multi-byte character across stream deltas', async () => {
    const model = createMockModel({ mode: 'script', replies: ['日本語 🎉'] });
    const { stream } = await model.doStream({ prompt: 'x' });
    const deltas: string[] = [];
    const reader = stream.getReader();
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      if (part.value.type === 'text-delta' && part.value.delta) deltas.push(part.value.delta);
    }
    expect(deltas.join('')).toBe('日本語 🎉');
    for (const delta of deltas) expect(delta).not.toContain('\uFFFD');
  });

  it('fails after N tokens with a retryable error part', async () => {
    const model = createMockModel({ failAfterTokens: 3 });
    const { stream } = await model.doStream({ prompt: 'x', maxTokens: 10, seed: 1 });
    const parts: string[] = [];
    const reader = stream.getReader();
    let failure: unknown;
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      if (part.value.type === 'error') failure = part.value.error;
      else parts.push(part.value.type);
    }
    expect(GenerationError.isInstance(failure)).toBe(true);
    expect((failure as GenerationError).isRetryable).toBe(true);
    expect(parts.filter((type) => type === 'text-delta').length).toBeLessThanOrEqual(3);
    expect(parts).not.toContain('finish');
  });

  it('fails the first N calls, then succeeds', async () => {
    const model = createMockModel({ failFirstCalls: 2 });
    await expect(model.doGenerate({ prompt: 'x', maxTokens: 2 })).rejects.toSatisfy(
      GenerationError.isInstance,
    );
    await expect(model.doGenerate({ prompt: 'x', maxTokens: 2 })).rejects.toSatisfy(
      GenerationError.isInstance,
    );
    await expect(model.doGenerate({ prompt: 'x', maxTokens: 2 })).resolves.toMatchObject({
      finishReason: 'length',
    });
  });

  it('hangs until aborted', async () => {
    const model = createMockModel({ hang: 'before-first-token' });
    const controller = new AbortController();
    const pending = model.doGenerate({ prompt: 'x', abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toSatisfy(isAbortError);
  });

  it('refuses a prompt longer than its context with a clear error', async () => {
    const model = createMockModel({ contextLength: 8 });
    const error = await model
      .doGenerate({ prompt: 'far too long a prompt' })
      .catch((caught) => caught);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/context of 8/);
  });

  it('stops at the context length with finish reason length', async () => {
    const model = createMockModel({ contextLength: 16 });
    const result = await model.doGenerate({ prompt: 'abc', seed: 1 });
    expect(result.finishReason).toBe('length');
    expect(result.usage.inputTokens + result.usage.outputTokens).toBe(16);
  });

  it('returns logprobs per token when asked', async () => {
    const model = createMockModel();
    const result = await model.doGenerate({ prompt: 'x', maxTokens: 4, seed: 2, logprobs: true });
    expect(result.logprobs).toHaveLength(4);
    expect(result.logprobs![0]!.logprob).toBeLessThan(0);
  });

  it('embeds deterministically with unit vectors', async () => {
    const model = createMockModel({ embeddingDimensions: 8 });
    const first = await model.doEmbed!({ values: ['a', 'b'] });
    const second = await model.doEmbed!({ values: ['a'] });
    expect(first.embeddings[0]).toEqual(second.embeddings[0]);
    expect(first.embeddings[0]).toHaveLength(8);
    expect(Math.hypot(...first.embeddings[1]!)).toBeCloseTo(1, 10);
  });

  it('gives different text for different seeds and the same for greedy', async () => {
    const model = createMockModel();
    const a = await model.doGenerate({ prompt: 'x', maxTokens: 20, seed: 1 });
    const b = await model.doGenerate({ prompt: 'x', maxTokens: 20, seed: 2 });
    expect(a.text).not.toBe(b.text);
    const greedyA = await model.doGenerate({ prompt: 'x', maxTokens: 20, seed: 1, temperature: 0 });
    const greedyB = await model.doGenerate({ prompt: 'x', maxTokens: 20, seed: 2, temperature: 0 });
    expect(greedyA.text).toBe(greedyB.text);
  });
});

describe('mock loader', () => {
  it('resolves through the registry and explains the choice', async () => {
    const registry = createRegistry({ loaders: [createMockLoader()] });
    const model = await registry.load('mock:script?reply=Hi', { id: 'greeter' });
    expect(model.info.id).toBe('greeter');
    expect(model.resolution.explanation).toContain('mock');
    expect((await collectStream((await model.doStream({ prompt: 'x' })).stream)).text).toBe('Hi');
  });

  it('says which mode is wrong', async () => {
    const error = await mockLoader.doLoad('mock:nope').catch((caught) => caught);
    expect(LoadError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/Unknown mock mode "nope".*echo, script, random/);
  });
});
