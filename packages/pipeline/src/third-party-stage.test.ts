import { readFileSync } from 'node:fs';
import { collectStream, wrapModel } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import { describe, expect, it } from 'vitest';
import { createWordLimit } from './__fixtures__/llmr-stage-word-limit/index';
import { createGuardrails } from './guardrails/guardrails';

const source = readFileSync(
  new URL('./__fixtures__/llmr-stage-word-limit/index.ts', import.meta.url),
  'utf8',
);

describe('a third-party stage', () => {
  it('is typed against @llmr/core alone', () => {
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
    expect(imports).toEqual(['@llmr/core']);
  });

  it('composes with built-in stages through wrapModel, passing tokens through', async () => {
    const model = createMockModel({ mode: 'echo' });
    const wrapped = wrapModel(model, [createGuardrails(), createWordLimit({ maxWords: 3 })]);
    const { stream } = await wrapped.doStream({ prompt: 'mail ada@example.org now please' });
    const result = await collectStream(stream);
    expect(result.text).toBe('mail [REDACTED:email] now ');
    expect(result.finishReason).toBe('length');
  });

  it('plugs into a router by name from its registry', async () => {
    const router = createRouter({
      models: [{ id: 'echo', model: createMockModel({ mode: 'echo' }) }],
      stages: { 'word-limit': createWordLimit },
      pipeline: { models: { echo: [{ stage: 'word-limit', options: { maxWords: 2 } }] } },
    });
    const { stream } = await router.stream({ model: 'echo', prompt: 'one two three four' });
    expect((await collectStream(stream)).text).toBe('one two ');
  });
});
