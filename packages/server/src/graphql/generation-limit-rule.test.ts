import { describe, expect, it } from 'vitest';
import { createTestServer } from '../__fixtures__/test-server';

async function post(query: string) {
  const server = await createTestServer();
  const response = await server.app.inject({
    method: 'POST',
    url: '/graphql',
    payload: { query },
  });
  const inflight = await server.app.inject({ method: 'GET', url: '/metrics' });
  return { body: response.json(), metrics: inflight.body };
}

const generate = (alias: string) =>
  `${alias}: generate(input: { model: "echo", prompt: "x", maxTokens: 1 }) { text }`;

describe('GraphQL generation limit', () => {
  it('refuses several generations in one request through aliases, and runs none', async () => {
    const { body, metrics } = await post(`mutation { ${generate('a')} ${generate('b')} }`);
    expect(body.errors[0].message).toMatch(/at most 1 generation/);
    expect(metrics).not.toContain('route="graphql.generate"');
  });

  it('refuses a generation inside a fragment', async () => {
    const { body } = await post(`mutation { ...g } fragment g on Mutation { ${generate('a')} }`);
    expect(body.errors[0].message).toMatch(/inside a fragment/);
  });

  it('caps aliases', async () => {
    const fields = Array.from({ length: 40 }, (_, index) => `m${index}: models { id }`).join(' ');
    const { body } = await post(`query { ${fields} }`);
    expect(body.errors[0].message).toMatch(/at most 32 aliases/);
  });

  it('still runs one generation', async () => {
    const { body } = await post(`mutation { ${generate('only')} }`);
    expect(body.data.only.text).toBeTypeOf('string');
  });
});
