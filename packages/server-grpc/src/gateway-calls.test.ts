/**
 * gRPC behind the gateway, with grpc-js: gateway keys in `authorization` or `x-api-key`
 * metadata, the same scopes, model globs, limits and budgets as REST, refusals as
 * UNAUTHENTICATED / PERMISSION_DENIED / RESOURCE_EXHAUSTED with google.rpc details, and
 * every call charged (a cancelled stream its prompt and what it got).
 */
import { Metadata, status } from '@grpc/grpc-js';
import { createGateway, type Gateway, type Policy, type Scope } from '@llmr/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, callUnary, collect, startGrpcServer } from './__fixtures__/grpc-test-server';
import { readErrorDetails } from './grpc-errors';

let gateway: Gateway;
const user = (content: string) => [{ role: 'user', content }];
const idOf = (key: string) => key.split('-')[2] as string;

beforeAll(async () => {
  gateway = await createGateway({ database: 'pglite:memory' });
  await gateway.tenants.create({ name: 'team', policy: { models: ['echo', 'slow'] } });
}, 120_000);
afterAll(async () => {
  await gateway?.close();
});

async function newKey(policy: Policy = {}, scopes: Scope[] = ['inference']): Promise<string> {
  return (await gateway.keys.create({ tenant: 'team', policy, scopes })).key;
}

async function usageOf(key: string, requests: number, model?: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const rows = await gateway.usage.query({ keyId: idOf(key), ...(model ? { model } : {}) });
    if (rows.reduce((sum, row) => sum + row.requests, 0) >= requests) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`usage of ${idOf(key)} never reached ${requests} requests`);
}

type CallError = Error & { code: number; metadata: Metadata };

describe('gRPC with the gateway on', () => {
  it('refuses a call without a key, with a wrong key, or with a key out of scope', async () => {
    const { generation, models } = await startGrpcServer({ gateway });
    const chat = (metadata: Metadata) =>
      callUnary(
        generation.Chat,
        generation,
        { model: 'echo', messages: user('x') },
        metadata,
      ).catch((error: CallError) => error);
    const missing = (await chat(new Metadata())) as CallError;
    expect(missing.code).toBe(status.UNAUTHENTICATED);
    expect(missing.message).toMatch(/Missing API key/);
    const wrong = (await chat(bearer('llmr-sk-nope-0000'))) as CallError;
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    const metricsOnly = (await chat(bearer(await newKey({}, ['metrics'])))) as CallError;
    expect(metricsOnly.code).toBe(status.PERMISSION_DENIED);
    expect(readErrorDetails(metricsOnly.metadata)?.reason).toBe('gateway-scope-denied');
    const listed = await callUnary(models.ListModels, models, {}, bearer(await newKey()));
    expect(listed.response.models.length).toBeGreaterThan(0);
  });

  it("refuses a model outside the key's globs with PERMISSION_DENIED and ErrorInfo", async () => {
    const { generation } = await startGrpcServer({ gateway });
    const key = await newKey({ models: ['ech?'] });
    const error = (await callUnary(
      generation.Chat,
      generation,
      { model: 'slow', messages: user('x') },
      bearer(key),
    ).catch((caught: CallError) => caught)) as CallError;
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(readErrorDetails(error.metadata)).toMatchObject({
      reason: 'gateway-model-denied',
      metadata: { http_status: '403' },
    });
    expect(error.message).toMatch(/Model "slow" is not allowed for this key; allowed: ech\?/);
  });

  it('refuses the call past the requests per minute with RESOURCE_EXHAUSTED and RetryInfo', async () => {
    const { generation } = await startGrpcServer({ gateway });
    const key = await newKey({ requestsPerMinute: 2 });
    const chat = () =>
      callUnary(
        generation.Chat,
        generation,
        { model: 'echo', messages: user('x') },
        bearer(key),
      ).catch((error: CallError) => error);
    expect(await chat()).toHaveProperty('response');
    expect(await chat()).toHaveProperty('response');
    const refused = (await chat()) as CallError;
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    const details = readErrorDetails(refused.metadata);
    expect(details?.reason).toBe('gateway-rate-limited');
    expect(details?.retryDelaySeconds).toBeGreaterThan(0);
    expect((await usageOf(key, 2))[0]?.requests).toBe(2);
  });

  it('refuses once a hard budget is spent with RESOURCE_EXHAUSTED', async () => {
    const { generation } = await startGrpcServer({ gateway });
    const key = await newKey({ budgets: [{ metric: 'tokens', period: 'day', limit: 1 }] });
    await callUnary(
      generation.Chat,
      generation,
      { model: 'echo', messages: user('x') },
      bearer(key),
    );
    await usageOf(key, 1);
    const refused = (await callUnary(
      generation.Chat,
      generation,
      { model: 'echo', messages: user('x') },
      bearer(key),
    ).catch((error: CallError) => error)) as CallError;
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(readErrorDetails(refused.metadata)?.reason).toBe('gateway-budget-exceeded');
    expect(refused.message).toMatch(/tokens-per-day budget of 1 tokens is spent/);
  });

  it('charges a call its usage (key in x-api-key), and a cancelled stream its prompt too', async () => {
    const { generation } = await startGrpcServer({ gateway });
    const key = await newKey();
    const metadata = new Metadata();
    metadata.set('x-api-key', key);
    const { response } = await callUnary(
      generation.Chat,
      generation,
      { model: 'slow', messages: user('charged prompt'), sampling: { max_tokens: { value: 3 } } },
      metadata,
    );
    const [finished] = await usageOf(key, 1, 'slow');
    expect(finished).toMatchObject({
      requests: 1,
      inputTokens: response.usage.input_tokens,
      outputTokens: response.usage.output_tokens,
    });

    const call = generation.ChatStream(
      { model: 'slow', messages: user('charged prompt'), sampling: { max_tokens: { value: 500 } } },
      bearer(key),
    );
    let deltas = 0;
    call.on('data', (message: { event: string }) => {
      if (message.event === 'delta' && ++deltas === 5) call.cancel();
    });
    const { error } = await collect(call);
    expect(error?.code).toBe(status.CANCELLED);
    const [both] = await usageOf(key, 2, 'slow');
    expect(both?.inputTokens).toBe(2 * Number(response.usage.input_tokens));
    expect(both?.outputTokens).toBeGreaterThanOrEqual(Number(response.usage.output_tokens) + 5);
    expect(both?.outputTokens).toBeLessThan(Number(response.usage.output_tokens) + 500);
  });
});
