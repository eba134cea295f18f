import { collectStream, generate, wrapModel } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { createMemoryCacheStore } from '@llmr/router';
import { describe, expect, it } from 'vitest';
import { recordCalls } from '../__fixtures__/recording-model';
import { createResponseCache, type ResponseCacheStore } from './response-cache-stage';

const countingModel = () => recordCalls(createMockModel({ mode: 'random', seed: 7 }));

describe('response cache stage', () => {
  it('answers a repeated greedy request from the store, for generate and stream alike', async () => {
    const { model, calls } = countingModel();
    const cache = createResponseCache({ store: createMemoryCacheStore() });
    const wrapped = wrapModel(model, [cache]);
    const request = { prompt: 'tell me', temperature: 0, maxTokens: 8 };
    const first = await generate(wrapped, request);
    const second = await generate(wrapped, { maxTokens: 8, temperature: 0, prompt: 'tell me' });
    expect(second.text).toBe(first.text);
    expect(second.metadata).toEqual({ cached: true });
    const streamed = await collectStream((await wrapped.doStream(request)).stream);
    expect(streamed.text).toBe(first.text);
    expect(calls()).toBe(1);
    expect(cache.stats()).toEqual({ hits: 2, misses: 1, writes: 1, errors: 0 });
  });

  it('stores a streamed answer once it is whole, passing its tokens through', async () => {
    const { model, calls } = countingModel();
    const cache = createResponseCache({ store: createMemoryCacheStore() });
    const wrapped = wrapModel(model, [cache]);
    const request = { prompt: 'stream me', seed: 3, maxTokens: 6 };
    const { stream } = await wrapped.doStream(request);
    const parts: string[] = [];
    const reader = stream.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read())
      if (read.value.type === 'text-delta') parts.push(read.value.delta);
    expect(parts.length).toBeGreaterThan(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect((await generate(wrapped, request)).text).toBe(parts.join(''));
    expect(calls()).toBe(1);
  });

  it('leaves sampled requests alone, and treats a failing store as a miss', async () => {
    const { model, calls } = countingModel();
    const broken: ResponseCacheStore = {
      get: async () => {
        throw new Error('down');
      },
      set: async () => {
        throw new Error('down');
      },
    };
    const cache = createResponseCache({ store: broken });
    const wrapped = wrapModel(model, [cache]);
    await generate(wrapped, { prompt: 'x', temperature: 0.8 });
    expect(cache.stats().misses).toBe(0);
    expect((await generate(wrapped, { prompt: 'x', temperature: 0 })).text.length).toBeGreaterThan(
      0,
    );
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, writes: 0, errors: 2 });
    expect(calls()).toBe(2);
  });
});
