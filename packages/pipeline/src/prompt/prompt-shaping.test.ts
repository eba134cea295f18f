import { generate, InvalidArgumentError, wrapModel } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { recordCalls } from '../__fixtures__/recording-model';
import { createPromptShaping } from './prompt-shaping';

const recordingModel = () => recordCalls(createMockModel({ mode: 'echo' }));

describe('prompt-shaping stage', () => {
  it('injects a system prompt and renders the template with config and request variables', async () => {
    const { model, seen } = recordingModel();
    const shaped = wrapModel(model, [
      createPromptShaping({
        system: 'You are {{persona}}.',
        template: 'Answer in {{language}}: {{input}}',
        variables: { persona: 'a librarian', language: 'English' },
      }),
    ]);
    const { text } = await generate(shaped, {
      messages: [{ role: 'user', content: 'where is the atlas?' }],
      providerOptions: { pipeline: { variables: { language: 'French' } } },
    });
    expect(text).toBe('Answer in French: where is the atlas?');
    expect(seen[0]?.messages?.[0]).toEqual({ role: 'system', content: 'You are a librarian.' });
  });

  it('prepends to, replaces, or keeps an existing system message', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'hi' },
    ];
    const systemOf = async (systemMode: 'prepend' | 'replace' | 'if-missing') => {
      const { model, seen } = recordingModel();
      await generate(wrapModel(model, [createPromptShaping({ system: 'Be kind.', systemMode })]), {
        messages,
      });
      return seen[0]?.messages?.filter((message) => message.role === 'system');
    };
    expect(await systemOf('prepend')).toEqual([
      { role: 'system', content: 'Be kind.\n\nBe brief.' },
    ]);
    expect(await systemOf('replace')).toEqual([{ role: 'system', content: 'Be kind.' }]);
    expect(await systemOf('if-missing')).toEqual([{ role: 'system', content: 'Be brief.' }]);
  });

  it('shapes raw prompts too', async () => {
    const { model, seen } = recordingModel();
    await generate(
      wrapModel(model, [createPromptShaping({ system: 'Sys.', template: 'Q: {{input}}\nA:' })]),
      { prompt: 'why?' },
    );
    expect(seen[0]?.prompt).toBe('Sys.\n\nQ: why?\nA:');
  });

  it('fails a request whose template variables are missing, naming them', async () => {
    const { model } = recordingModel();
    const shaped = wrapModel(model, [
      createPromptShaping({ template: '{{tone}} {{input}} {{audience}}' }),
    ]);
    await expect(generate(shaped, { prompt: 'x' })).rejects.toThrow(
      /needs "tone", "audience": pass them in providerOptions\.pipeline\.variables/,
    );
    await expect(
      generate(shaped, { prompt: 'x', providerOptions: { pipeline: { variables: { tone: 1 } } } }),
    ).rejects.toThrow(InvalidArgumentError);
    expect(() => createPromptShaping({})).toThrow(/does nothing/);
    expect(() => createPromptShaping({ system: 'x', systemMode: 'append' })).toThrow(/systemMode/);
  });
});
