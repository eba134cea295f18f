/**
 * A BERT-shaped encoder converted to a TF.js graph (`convertHfToTfjs`) serves embeddings:
 * `doEmbed` gives the float64 reference's mean-pooled, normalized vectors within 1e-4 on the
 * cpu and wasm backends, and a real server answers `/v1/embeddings` with them through the
 * router and this loader.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertHfToTfjs } from '@llmr/convert';
import { LlmrError } from '@llmr/core';
import { createTinyBert, referenceBertEmbedding, type TinyBert } from '@llmr/fixtures';
import { createRouter } from '@llmr/router';
import { createRouterBackend, createServer } from '@llmr/server';
import { loadTokenizer } from '@llmr/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tfjsLoader } from './tfjs-loader';

let dir: string;
let fixture: TinyBert & { dir: string };
let converted: string;
const texts = ['Once upon a time there was a model', 'The lazy dog'];

function expected(text: string): number[] {
  const tokenizer = loadTokenizer(
    fixture.files['tokenizer.json'] as Record<string, unknown>,
    fixture.files['tokenizer_config.json'] as never,
  );
  return referenceBertEmbedding(fixture.config, fixture.weights, tokenizer.encode(text));
}

function worstDifference(actual: number[], reference: number[]): number {
  expect(actual).toHaveLength(reference.length);
  return Math.max(...actual.map((value, index) => Math.abs(value - reference[index]!)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-tfjs-embed-'));
  fixture = await createTinyBert(join(dir, 'bert-hf'), { seed: 4 });
  converted = join(dir, 'bert-tfjs');
  await convertHfToTfjs({ input: fixture.dir, output: converted });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a TF.js encoder as an embeddings model', () => {
  it.each(['cpu', 'wasm'])('matches the float64 reference within 1e-4 on %s', async (backend) => {
    const model = await tfjsLoader.doLoad(converted, { backend });
    try {
      expect(model.info.capabilities).toEqual(['embeddings']);
      const result = await model.doEmbed!({ values: texts });
      expect(result.embeddings).toHaveLength(2);
      for (const [index, text] of texts.entries()) {
        const reference = expected(text);
        expect(worstDifference(result.embeddings[index]!, reference)).toBeLessThan(1e-4);
        const norm = Math.hypot(...result.embeddings[index]!);
        expect(Math.abs(norm - 1)).toBeLessThan(1e-6);
      }
      // Different texts, different vectors: the test would catch a constant answer.
      expect(worstDifference(result.embeddings[0]!, result.embeddings[1]!)).toBeGreaterThan(1e-2);
      expect(result.usage.inputTokens).toBeGreaterThan(texts.length);
      await expect(model.doGenerate({ prompt: 'x' })).rejects.toMatchObject({
        code: 'unsupported-functionality',
      });
      const refused = await model.doEmbed!({ values: [''] }).catch((error) => error);
      expect(LlmrError.isInstance(refused) && refused.code).toBe('invalid-argument');
    } finally {
      await model.dispose();
    }
  });

  it('answers /v1/embeddings on a real server through the router', async () => {
    const router = createRouter({
      loaders: [tfjsLoader],
      models: [{ id: 'tiny-bert', source: converted }],
      retry: { maxRetries: 0 },
    });
    const server = await createServer({
      backend: createRouterBackend(router, { defaultModel: 'tiny-bert' }),
      logger: false,
      apiKeys: [],
    });
    try {
      const url = new URL(await server.listen({ port: 0, host: '127.0.0.1' }));
      const response = await fetch(new URL('/v1/embeddings', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-bert', input: texts }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: { embedding: number[]; index: number }[] };
      for (const entry of body.data)
        expect(worstDifference(entry.embedding, expected(texts[entry.index]!))).toBeLessThan(1e-4);
      const bad = await fetch(new URL('/v1/embeddings', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-bert', input: [''] }),
      });
      expect(bad.status).toBe(400);
    } finally {
      await server.shutdown();
      await router.dispose();
    }
  });
});
