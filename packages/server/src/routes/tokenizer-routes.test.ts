import { describe, expect, it } from 'vitest';
import { createTestServer } from '../__fixtures__/test-server';

describe('POST /v1/tokenize and /v1/detokenize', () => {
  it("round-trips text through a model's tokenizer", async () => {
    const server = await createTestServer();
    const tokenized = await server.app.inject({
      method: 'POST',
      url: '/v1/tokenize',
      payload: { model: 'echo', input: 'héllo' },
    });
    expect(tokenized.statusCode).toBe(200);
    expect(tokenized.headers['x-llmr-model']).toBe('echo');
    // The mock tokenizer's ids are the UTF-8 bytes.
    expect(tokenized.json()).toEqual({
      object: 'list',
      model: 'echo',
      tokens: [...Buffer.from('héllo')],
    });
    const detokenized = await server.app.inject({
      method: 'POST',
      url: '/v1/detokenize',
      payload: { model: 'fast', tokens: tokenized.json().tokens },
    });
    expect(detokenized.json()).toEqual({ model: 'writer', text: 'héllo' });
  });

  it('takes a route with one model, and refuses bad bodies', async () => {
    const server = await createTestServer();
    const auto = await server.app.inject({
      method: 'POST',
      url: '/v1/tokenize',
      payload: { model: 'auto', input: 'x' },
    });
    // auto -> the default route `main`, whose only model is `echo`.
    expect(auto.json()).toMatchObject({ model: 'echo', tokens: [120] });
    const negative = await server.app.inject({
      method: 'POST',
      url: '/v1/detokenize',
      payload: { model: 'echo', tokens: [-1] },
    });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().error.param).toBe('tokens.0');
  });

  it('answers 501 when the backend lends no tokenizers', async () => {
    const server = await createTestServer();
    const backend = server.shared.backend;
    backend.tokenize = undefined;
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1/tokenize',
      payload: { model: 'echo', input: 'x' },
    });
    expect(response.statusCode).toBe(501);
    expect(response.json().error.code).toBe('not_implemented');
  });
});
