import { isAbortError, type ModelV1, type ModelV1CallOptions } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createRouter } from '../router';

/** A mock model that counts which of its two surfaces each call used. */
function countingModel(id: string, firstTokenMs?: number) {
  const inner = createMockModel({
    mode: 'script',
    replies: [`from ${id}`],
    id,
    ...(firstTokenMs !== undefined ? { latency: { firstTokenMs } } : {}),
  });
  const calls = { stream: 0, generate: 0 };
  const model: ModelV1 = {
    ...inner,
    doStream: (options) => {
      calls.stream++;
      return inner.doStream(options);
    },
    doGenerate: (options) => {
      calls.generate++;
      return inner.doGenerate(options);
    },
  };
  return { model, calls };
}

describe('a generate attempt', () => {
  it('answers through doGenerate when nothing needs the stream, and learns its first-token time', async () => {
    const slow = countingModel('slow', 40);
    const router = createRouter({ models: [{ id: 'slow', model: slow.model }] });
    const result = await router.generate({ model: 'slow', prompt: 'x' });
    expect(result.text).toBe('from slow');
    expect(slow.calls).toEqual({ stream: 0, generate: 1 });
    expect(result.routing.timings?.firstTokenMs).toBeGreaterThanOrEqual(35);
    expect(router.stats().models.slow!.ttftMs.count).toBe(1);
  });

  it('streams when a first-token deadline applies', async () => {
    const counted = countingModel('m');
    const router = createRouter({
      models: [{ id: 'm', model: counted.model }],
      timeouts: { firstTokenMs: 5_000 },
    });
    expect((await router.generate({ model: 'm', prompt: 'x' })).text).toBe('from m');
    expect(counted.calls).toEqual({ stream: 1, generate: 0 });
  });

  it('falls back when doGenerate fails, and gives the same result as the stream', async () => {
    const broken = countingModel('broken');
    broken.model.doGenerate = async () => {
      throw new Error('upstream down');
    };
    const good = countingModel('good');
    const router = createRouter({
      models: [
        { id: 'broken', model: broken.model },
        { id: 'good', model: good.model },
      ],
      routes: { chat: { strategy: 'fallback', models: ['broken', 'good'] } },
      retry: { maxRetries: 0 },
    });
    const direct = await router.generate({ model: 'chat', prompt: 'x', maxTokens: 4 });
    expect(direct.routing.modelId).toBe('good');
    expect(direct.routing.attempts.map((attempt) => attempt.modelId)).toEqual(['broken', 'good']);
    const streamed = await createRouter({
      models: [{ id: 'good', model: good.model }],
      timeouts: { firstTokenMs: 5_000 },
    }).generate({ model: 'good', prompt: 'x', maxTokens: 4 });
    const { routing: _direct, ...directResult } = direct;
    const { routing: _streamed, ...streamedResult } = streamed;
    expect(directResult).toEqual(streamedResult);
  });

  it("hands the caller's signal to a whole answer, and still stops on it with an AbortError", async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const slow = createMockModel({ mode: 'random', latency: { tokenMs: 5 } });
    const model: ModelV1 = {
      ...slow,
      doGenerate: (options: ModelV1CallOptions) => {
        seen.push(options.abortSignal);
        return slow.doGenerate(options);
      },
    };
    const router = createRouter({ models: [{ id: 'slow', model }] });
    const caller = new AbortController();
    const answer = router.generate({
      model: 'slow',
      prompt: 'x',
      maxTokens: 1000,
      abortSignal: caller.signal,
    });
    setTimeout(() => caller.abort(new Error('the client left')), 30);
    const error = await answer.catch((caught: unknown) => caught);
    expect(isAbortError(error)).toBe(true);
    // No signal of the attempt's own between the caller and the model.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(caller.signal);
    expect(router.stats().models.slow!.inFlight).toBe(0);
  });

  it("gives the model a signal of the attempt's own under a first-token deadline", async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const inner = createMockModel({ mode: 'script', replies: ['ok'] });
    const model: ModelV1 = {
      ...inner,
      doStream: (options: ModelV1CallOptions) => {
        seen.push(options.abortSignal);
        return inner.doStream(options);
      },
    };
    const router = createRouter({
      models: [{ id: 'm', model }],
      timeouts: { firstTokenMs: 5_000 },
    });
    const caller = new AbortController();
    await router.generate({ model: 'm', prompt: 'x', abortSignal: caller.signal });
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toBe(caller.signal);
  });
});
