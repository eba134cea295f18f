import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelV1 } from '@llmr/core';
import { simpleLoader } from '@llmr/runtime-simple';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyGguf } from './__fixtures__/tiny-gguf';
import { createEdgeHandler } from './edge-handler';

const dir = await mkdtemp(join(tmpdir(), 'llmr-edge-handler-'));
const { path } = await writeTinyGguf(dir, { kind: 'oracle', contextLength: 256, dtype: 'q8_0' });
const model: ModelV1 = await simpleLoader.doLoad(path, { contextLength: 256 });
afterAll(async () => {
  await model.dispose();
  await rm(dir, { recursive: true, force: true });
});
const handler = createEdgeHandler({ model: () => model, maxTokensLimit: 32 });
const post = (body: string) =>
  handler(new Request('http://edge/v1/generate', { method: 'POST', body }));

describe('createEdgeHandler', () => {
  it('streams stream parts as SSE ending in [DONE]', async () => {
    const response = await post('{"prompt": "The lazy dog", "maxTokens": 4}');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const text = await response.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).toContain('"type":"finish"');
  });

  it.each([
    ['not json', 'body'],
    ['[1]', 'body'],
    ['{"prompt": ""}', 'prompt'],
    ['{"prompt": "x", "maxTokens": 33}', 'maxTokens'],
    ['{"prompt": "x", "maxTokens": 1.5}', 'maxTokens'],
    ['{"prompt": "x", "temperature": -1}', 'temperature'],
    ['{"prompt": "x", "seed": "a"}', 'seed'],
    [`{"prompt": "${'x'.repeat(70_000)}"}`, 'body'],
  ])('answers %s with 400 naming %s', async (body, argument) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('invalid-argument');
    expect(error.message).toContain(argument === 'body' ? 'body' : `"${argument}"`);
  });

  it('answers unknown routes with 404 and the routes to use', async () => {
    const response = await handler(new Request('http://edge/v1/other'));
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('POST /v1/generate');
  });

  it('serves conformance only when given createModel', async () => {
    const response = await handler(new Request('http://edge/v1/conformance', { method: 'POST' }));
    expect(response.status).toBe(404);
  });
});
