import { generate, type ModelV1, type ModelV1CallOptions, wrapModel } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { type RedisServer, startRedisServer } from '@llmr/router/testing';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCalls } from '../__fixtures__/recording-model';
import { createRedisSemanticShare } from './redis-semantic-share';
import { createSemanticCache } from './semantic-cache-stage';
import { VectorIndex } from './vector-index';

/**
 * Embeddings whose geometry the test controls: each question maps to a chosen 2-D
 * direction, so a test can place a paraphrase at a known angle. A test double for an
 * embedding model; the semantic behaviour of a real one is measured by the bench.
 */
function directionEmbedder(angles: Record<string, number>): ModelV1 {
  const base = createMockModel({ mode: 'echo' });
  return {
    ...base,
    async doEmbed({ values }) {
      return {
        embeddings: values.map((value) => {
          const angle = angles[value];
          if (angle === undefined) throw new Error(`no direction for "${value}"`);
          return [Math.cos(angle), Math.sin(angle)];
        }),
        usage: { inputTokens: 0 },
      };
    },
  };
}

const countingModel = (reply: string) =>
  recordCalls(createMockModel({ mode: 'script', replies: [reply] }));

// cos(0.1) = 0.995, cos(0.5) = 0.878.
const embedder = directionEmbedder({
  'How do I reset my password?': 0,
  'how can I reset my password': 0.1,
  'How do I reset my username?': 0.5,
});
const ask = (content: string, tenant?: string): ModelV1CallOptions => ({
  messages: [
    { role: 'system', content: 'You are support.' },
    { role: 'user', content },
  ],
  temperature: 0,
  ...(tenant ? { providerOptions: { pipeline: { tenant } } } : {}),
});

describe('vector index', () => {
  it('finds the most similar live entry of a scope, bounded per scope', () => {
    const index = new VectorIndex<string>(2);
    index.add('s', '1', [1, 0], 'east', 100);
    index.add('s', '2', [0, 1], 'north', 100);
    expect(index.nearest('s', [0.9, 0.1], 0)).toMatchObject({ value: 'east' });
    expect(index.nearest('other', [1, 0], 0)).toBeUndefined();
    expect(index.nearest('s', [1, 0], 100)).toBeUndefined(); // expired
    index.add('s', '3', [-1, 0], 'west', 100); // evicts 'east'
    expect(index.nearest('s', [1, 0], 0)?.value).not.toBe('east');
    expect(() => index.add('s', '4', [1, 0, 0], 'x', 100)).toThrow(/one size/);
  });
});

describe('semantic cache stage', () => {
  it('serves a paraphrase above the threshold and not a near miss below it', async () => {
    const { model, calls } = countingModel('Use the "forgot password" link.');
    const cache = createSemanticCache({ embedder, threshold: 0.95 });
    const wrapped = wrapModel(model, [cache]);
    await generate(wrapped, ask('How do I reset my password?'));
    const paraphrase = await generate(wrapped, ask('how can I reset my password'));
    expect(paraphrase.metadata?.semanticCache).toMatchObject({
      matchedQuestion: 'How do I reset my password?',
    });
    expect(calls()).toBe(1);
    await generate(wrapped, ask('How do I reset my username?'));
    expect(calls()).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, entries: 2 });
  });

  it('never crosses tenants, system prompts or models', async () => {
    const { model, calls } = countingModel('answer');
    const cache = createSemanticCache({ embedder, threshold: 0.9 });
    const wrapped = wrapModel(model, [cache]);
    await generate(wrapped, ask('How do I reset my password?', 'acme'));
    await generate(wrapped, ask('How do I reset my password?', 'globex'));
    await generate(wrapped, ask('How do I reset my password?'));
    // Same question, tenant and model, no system prompt: another conversation.
    await generate(wrapped, {
      messages: [{ role: 'user', content: 'How do I reset my password?' }],
      temperature: 0,
      providerOptions: { pipeline: { tenant: 'acme' } },
    });
    expect(calls()).toBe(4);
    await generate(wrapped, ask('how can I reset my password', 'acme'));
    expect(calls()).toBe(4);
    // The same cache in front of another model does not answer for the first one.
    const other = countingModel('other model');
    const otherModel = { ...other.model, info: { ...other.model.info, id: 'other' } };
    expect(
      (await generate(wrapModel(otherModel, [cache]), ask('How do I reset my password?', 'acme')))
        .text,
    ).toBe('other model');
  });

  it('skips sampled requests and rejects an embedder without doEmbed', async () => {
    const { model, calls } = countingModel('answer');
    const cache = createSemanticCache({ embedder, threshold: 0.9 });
    const wrapped = wrapModel(model, [cache]);
    await generate(wrapped, { ...ask('How do I reset my password?'), temperature: 0.7 });
    await generate(wrapped, { ...ask('How do I reset my password?'), temperature: 0.7 });
    expect(calls()).toBe(2);
    expect(cache.stats().skipped).toBe(2);
    const { doEmbed: _embed, ...noEmbed } = createMockModel();
    expect(() => createSemanticCache({ embedder: noEmbed as ModelV1, threshold: 0.9 })).toThrow(
      /needs a model with doEmbed/,
    );
    expect(() => createSemanticCache({ embedder, threshold: 1.5 })).toThrow(/threshold/);
  });
});

describe('semantic cache shared through real Redis', () => {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('a replica answers from an entry another replica stored, per tenant only', async () => {
    const client = createClient({ url: redis!.url });
    await client.connect();
    const share = () =>
      createRedisSemanticShare({
        command: (args) => client.sendCommand(args),
        keyPrefix: 'test:sem:',
      });
    const first = countingModel('from replica one');
    const second = countingModel('from replica two');
    const replicaOne = wrapModel(first.model, [
      createSemanticCache({ embedder, threshold: 0.95, share: share() }),
    ]);
    const replicaTwo = wrapModel(second.model, [
      createSemanticCache({ embedder, threshold: 0.95, share: share() }),
    ]);
    await generate(replicaOne, ask('How do I reset my password?', 'acme'));
    const shared = await generate(replicaTwo, ask('how can I reset my password', 'acme'));
    expect(shared.text).toBe('from replica one');
    expect(second.calls()).toBe(0);
    const otherTenant = await generate(replicaTwo, ask('how can I reset my password', 'globex'));
    expect(otherTenant.text).toBe('from replica two');
    await client.close();
  });
});
