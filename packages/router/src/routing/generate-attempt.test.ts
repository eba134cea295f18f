import type { ModelV1 } from '@llmr/core';
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
});
