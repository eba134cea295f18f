import { createRouter, type RouterEvent } from '@llmr/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnthropicUpstreamDouble,
  startAnthropicUpstreamDouble,
} from './__fixtures__/anthropic-upstream-double';
import { createAnthropic } from './anthropic-provider';

let upstream: AnthropicUpstreamDouble;
beforeAll(async () => {
  upstream = await startAnthropicUpstreamDouble();
});
afterAll(async () => {
  await upstream?.close();
});

function routerOverUpstream(events: RouterEvent[], maxRetryAfterMs = 5_000) {
  const provider = createAnthropic({ baseURL: upstream.baseURL, apiKey: 'test-key' });
  return createRouter({
    providers: {
      anthropic: (modelId, context) =>
        provider(modelId, {
          ...(context.contextLength !== undefined ? { contextLength: context.contextLength } : {}),
        }),
    },
    models: [
      { id: 'limited', provider: 'anthropic', providerModelId: 'fault-429-router' },
      { id: 'overloaded', provider: 'anthropic', providerModelId: 'fault-529' },
      { id: 'midstream', provider: 'anthropic', providerModelId: 'fault-overloaded-midstream' },
      { id: 'echo', provider: 'anthropic', contextLength: 4096 },
    ],
    routes: {
      resilient: { fallback: ['overloaded', 'echo'] },
      fragile: { fallback: ['midstream', 'echo'] },
    },
    retry: { maxRetries: 1, baseDelayMs: 1, jitter: 'none', maxRetryAfterMs },
    circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
    onEvent: (event) => events.push(event),
  });
}

describe('@llmr/router over an Anthropic upstream', () => {
  it('retries a 429 after the Retry-After the upstream asked for', async () => {
    const events: RouterEvent[] = [];
    const router = routerOverUpstream(events);
    const result = await router.generate({ model: 'limited', prompt: 'x', maxTokens: 3 });
    expect(result.usage.outputTokens).toBe(3);
    expect(events.filter((event) => event.type === 'retry')).toMatchObject([
      { modelId: 'limited', delayMs: 40 },
    ]);
    expect(
      result.routing.attempts.map((attempt) => attempt.error?.code ?? attempt.outcome),
    ).toEqual(['api-call-failed', 'success']);
  });

  it('falls back from an overloaded (529) model, skipping its retry when Retry-After is too long, and opens its breaker', async () => {
    const events: RouterEvent[] = [];
    const router = routerOverUpstream(events, 500);
    for (let request = 0; request < 2; request++) {
      const { routing, text } = await router.generate({
        model: 'resilient',
        messages: [{ role: 'user', content: 'still here' }],
      });
      expect(text).toBe('still here');
      expect(routing.attempts.at(-1)).toMatchObject({ modelId: 'echo', outcome: 'success' });
    }
    // retry-after: 1 (1000 ms) is over maxRetryAfterMs: no retry, straight to the next model.
    expect(events.filter((event) => event.type === 'retry')).toEqual([]);
    expect(events.filter((event) => event.type === 'circuit-state')).toMatchObject([
      { modelId: 'overloaded', from: 'closed', to: 'open' },
    ]);
    const third = await router.generate({
      model: 'resilient',
      messages: [{ role: 'user', content: 'again' }],
    });
    // The open breaker keeps the overloaded upstream out without calling it.
    expect(third.routing.attempts.map((attempt) => attempt.modelId)).toEqual(['echo']);
  });

  it('an overloaded_error after the first token is one error part, never a replay elsewhere', async () => {
    const router = routerOverUpstream([]);
    const { stream } = await router.stream({ model: 'fragile', prompt: 'x' });
    const reader = stream.getReader();
    let text = '';
    let error: unknown;
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      if (part.value.type === 'text-delta') text += part.value.delta;
      if (part.value.type === 'error') error = part.value.error;
    }
    expect(text).toBe('abcd');
    expect(error).toMatchObject({ name: 'APICallError', statusCode: 529, isRetryable: true });
  });
});
