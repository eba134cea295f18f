import { createRouter, type RouterEvent } from '@llmr/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstreamDouble, type UpstreamDouble } from './__fixtures__/openai-upstream-double';
import { asRouterProvider, createOpenAICompatible } from './openai-compatible-provider';

let upstream: UpstreamDouble;
beforeAll(async () => {
  upstream = await startUpstreamDouble();
});
afterAll(async () => {
  await upstream?.close();
});

function routerOverUpstream(events: RouterEvent[]) {
  return createRouter({
    providers: {
      upstream: asRouterProvider(createOpenAICompatible({ baseURL: upstream.baseURL }), {
        contextLength: 4096,
      }),
    },
    models: [
      { id: 'limited', provider: 'upstream', providerModelId: 'fault-429-router' },
      { id: 'broken', provider: 'upstream', providerModelId: 'fault-500' },
      { id: 'dropping', provider: 'upstream', providerModelId: 'fault-drop' },
      { id: 'echo', provider: 'upstream' },
    ],
    routes: {
      resilient: { fallback: ['broken', 'echo'] },
      fragile: { fallback: ['dropping', 'echo'] },
    },
    retry: { maxRetries: 1, baseDelayMs: 1, jitter: 'none' },
    onEvent: (event) => events.push(event),
  });
}

describe('@llmr/router over an OpenAI-compatible upstream', () => {
  it('retries a 429 after the Retry-After the upstream asked for', async () => {
    const events: RouterEvent[] = [];
    const router = routerOverUpstream(events);
    const result = await router.generate({ model: 'limited', prompt: 'x', maxTokens: 3, seed: 1 });
    expect(result.usage.outputTokens).toBe(3);
    expect(events.filter((event) => event.type === 'retry')).toMatchObject([
      { modelId: 'limited', delayMs: 40 },
    ]);
    expect(
      result.routing.attempts.map((attempt) => attempt.error?.code ?? attempt.outcome),
    ).toEqual(['api-call-failed', 'success']);
  });

  it('falls back from a failing upstream model to the next', async () => {
    const router = routerOverUpstream([]);
    const { stream, routing } = await router.stream({
      model: 'resilient',
      messages: [{ role: 'user', content: 'still here' }],
    });
    const reader = stream.getReader();
    let text = '';
    for (let part = await reader.read(); !part.done; part = await reader.read())
      if (part.value.type === 'text-delta') text += part.value.delta;
    expect(text).toBe('still here');
    expect(routing.attempts.map((attempt) => `${attempt.modelId}:${attempt.outcome}`)).toEqual([
      'broken:error',
      'broken:error',
      'echo:success',
    ]);
  });

  it('a connection dropped after the first token is one error part, never a replay elsewhere', async () => {
    const router = routerOverUpstream([]);
    const { stream } = await router.stream({ model: 'fragile', prompt: 'x' });
    const reader = stream.getReader();
    let text = '';
    let error: unknown;
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      if (part.value.type === 'text-delta') text += part.value.delta;
      if (part.value.type === 'error') error = part.value.error;
    }
    expect(text).toBe('abc');
    expect(error).toMatchObject({ name: 'APICallError', isRetryable: true });
  });
});
