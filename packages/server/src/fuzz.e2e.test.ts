/**
 * Property-based fuzzing of request bodies: thousands of malformed, mistyped and
 * out-of-range bodies (and some valid ones) against the running server. Never a 5xx,
 * always OpenAI's error shape on 4xx, and the server still healthy afterwards.
 */
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouterBackend, createServer, type LlmrServer } from './index';

let server: LlmrServer;

beforeAll(async () => {
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [
      { id: 'echo', source: 'mock:echo' },
      { id: 'tiny', source: 'mock:random?contextLength=32' },
    ],
    retry: { maxRetries: 0 },
  });
  server = await createServer({ backend: createRouterBackend(router), logger: false, apiKeys: [] });
});
afterAll(() => server?.shutdown());

const anything = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }),
);
const role = fc.oneof(
  fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'),
  fc.string(),
);
const message = fc.record(
  { role, content: fc.oneof(fc.string({ maxLength: 40 }), anything) },
  { requiredKeys: [] },
);
const chatBody = fc.record(
  {
    model: fc.oneof(fc.constantFrom('echo', 'tiny', 'auto', 'missing'), anything),
    messages: fc.oneof(fc.array(message, { maxLength: 3 }), anything),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 40 }), anything),
    temperature: fc.oneof(fc.double({ min: -3, max: 5, noNaN: true }), anything),
    top_p: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), anything),
    stop: fc.oneof(
      fc.string({ maxLength: 3 }),
      fc.array(fc.string({ maxLength: 3 }), { maxLength: 20 }),
      anything,
    ),
    stream: fc.oneof(fc.boolean(), anything),
    seed: fc.oneof(fc.integer(), anything),
    tools: anything,
    response_format: anything,
    extra: anything,
  },
  { requiredKeys: [] },
);

describe('fuzzing request bodies', () => {
  it('never answers 5xx, always with a useful error shape, over >= 2,000 bodies', async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          {
            weight: 6,
            arbitrary: chatBody.map((body) => ({
              url: '/v1/chat/completions',
              payload: JSON.stringify(body),
            })),
          },
          {
            weight: 2,
            arbitrary: fc
              .record(
                { model: anything, prompt: anything, max_tokens: anything, echo: anything },
                { requiredKeys: [] },
              )
              .map((body) => ({ url: '/v1/completions', payload: JSON.stringify(body) })),
          },
          {
            weight: 1,
            arbitrary: fc
              .record({ model: anything, input: anything }, { requiredKeys: [] })
              .map((body) => ({ url: '/v1/embeddings', payload: JSON.stringify(body) })),
          },
          {
            weight: 1,
            arbitrary: fc
              .string({ maxLength: 60 })
              .map((text) => ({ url: '/v1/chat/completions', payload: text })),
          },
          {
            weight: 2,
            arbitrary: fc
              .record({
                content: fc.string({ maxLength: 30 }),
                max_tokens: fc.integer({ min: 1, max: 8 }),
                stream: fc.boolean(),
                temperature: fc.double({ min: 0, max: 2, noNaN: true }),
              })
              .map(({ content, ...rest }) => ({
                url: '/v1/chat/completions',
                payload: JSON.stringify({
                  model: 'echo',
                  messages: [{ role: 'user', content }],
                  ...rest,
                }),
              })),
          },
        ),
        async ({ url, payload }) => {
          const response = await server.app.inject({
            method: 'POST',
            url,
            headers: { 'content-type': 'application/json' },
            payload,
          });
          expect(response.statusCode, `${url} ${payload} -> ${response.body}`).toBeLessThan(500);
          if (response.statusCode >= 400) {
            const body = response.json();
            expect(typeof body.error.message).toBe('string');
            expect(body.error.message.length).toBeGreaterThan(5);
          } else valid++;
        },
      ),
      { numRuns: 2500 },
    );
    expect(valid).toBeGreaterThan(0);
    expect((await server.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const ok = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'echo', messages: [{ role: 'user', content: 'still fine' }] },
    });
    expect(ok.json().choices[0].message.content).toBe('still fine');
  }, 120_000);
});
