/** Bounds on what a client controls: free-text lengths, and what reaches metric labels. */
import { describe, expect, it } from 'vitest';
import { createTestServer } from './__fixtures__/test-server';
import { MAX_MODEL_NAME_LENGTH, MAX_STOP_SEQUENCE_LENGTH } from './openai/schemas';

describe('request bounds', () => {
  it('never turns a failed request model string into a metrics label', async () => {
    const server = await createTestServer();
    for (let index = 0; index < 5; index++) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: `no-such-model-${index}`, messages: [{ role: 'user', content: 'x' }] },
      });
      expect(response.statusCode).toBe(404);
    }
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).not.toContain('no-such-model');
    expect(metrics).toContain(
      'llmr_http_requests_total{route="chat",model="unresolved",status="404"} 5',
    );
  });

  it('refuses an over-long model name and stop sequence with 400', async () => {
    const server = await createTestServer();
    const send = (body: Record<string, unknown>) =>
      server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'echo', messages: [{ role: 'user', content: 'x' }], ...body },
      });
    const longModel = await send({ model: 'm'.repeat(MAX_MODEL_NAME_LENGTH + 1) });
    expect(longModel.statusCode).toBe(400);
    expect(longModel.json().error.message).toMatch(/model/);
    expect((await send({ stop: 's'.repeat(MAX_STOP_SEQUENCE_LENGTH + 1) })).statusCode).toBe(400);
    expect(
      (await send({ stop: ['ok', 's'.repeat(MAX_STOP_SEQUENCE_LENGTH + 1)] })).statusCode,
    ).toBe(400);
    expect((await send({ stop: 's'.repeat(MAX_STOP_SEQUENCE_LENGTH) })).statusCode).toBe(200);
  });

  it('bounds the same fields over GraphQL', async () => {
    const server = await createTestServer();
    const response = await server.app.inject({
      method: 'POST',
      url: '/graphql',
      payload: {
        query: 'mutation G($input: GenerateInput!) { generate(input: $input) { text } }',
        variables: { input: { model: 'm'.repeat(MAX_MODEL_NAME_LENGTH + 1), prompt: 'x' } },
      },
    });
    expect(response.json().errors[0].message).toMatch(/longer than 256/);
  });
});
