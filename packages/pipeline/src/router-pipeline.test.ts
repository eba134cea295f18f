import { ContentPolicyError } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { createMemoryCacheStore, createRouter, parseRouterConfig } from '@llmr/router';
import { describe, expect, it } from 'vitest';
import { createResponseCache } from './cache/response-cache-stage';
import { pipelineStages } from './index';

const config = `
models:
  - { id: loose, source: "mock:loose" }
  - { id: strict, source: "mock:strict" }
routes:
  support:
    strategy: fallback
    fallback: [loose, strict]
pipeline:
  routes:
    support:
      - stage: guardrails
        options: { deny: ["internal roadmap"], maxInputTokens: 200 }
      - stage: prompt-shaping
        options: { system: "You answer as JSON." }
      - stage: structured-output
        options: { retries: 0 }
      - stage: cache
`;

describe('built-in stages in a router, from config text', () => {
  it('redacts, refuses, validates (falling back to a model that gets the JSON right) and caches', async () => {
    const stages = {
      ...pipelineStages,
      cache: () => createResponseCache({ store: createMemoryCacheStore() }),
    };
    const parsed = parseRouterConfig(config, { stages: Object.keys(stages) });
    let calls = 0;
    const models = {
      // `loose` never answers JSON; `strict` echoes what it was asked in a JSON object.
      loose: createMockModel({ id: 'loose', mode: 'script', replies: ['Sure! Here it is.'] }),
      strict: createMockModel({ id: 'strict', mode: 'echo' }),
    };
    const router = createRouter({
      ...parsed,
      models: parsed.models.map(({ id }) => ({
        id,
        model: () => {
          calls++;
          return models[id as keyof typeof models];
        },
      })),
      stages,
    });
    const ask = (content: string) => ({
      model: 'support',
      temperature: 0,
      messages: [{ role: 'user' as const, content }],
      responseFormat: {
        type: 'json' as const,
        schema: { type: 'object', required: ['email'], properties: { email: { type: 'string' } } },
      },
    });
    const answer = await router.generate(ask('{"email":"ada@example.org"}'));
    // The guardrail redacted the address before any model saw it; `loose` failed validation.
    expect(JSON.parse(answer.text)).toEqual({ email: '[REDACTED:email]' });
    expect(answer.routing.modelId).toBe('strict');
    expect(answer.routing.attempts.map((attempt) => attempt.error?.code ?? 'ok')).toEqual([
      'output-invalid',
      'ok',
    ]);
    const refused = await router
      .generate(ask('what is on the Internal Roadmap?'))
      .catch((error: unknown) => error);
    expect(ContentPolicyError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({ ruleId: 'deny-list:internal roadmap' });
    expect(calls).toBe(2);
  });
});
