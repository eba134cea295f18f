import { ContentPolicyError, generate, InvalidArgumentError, wrapModel } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { createGuardrails } from './guardrails';

const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }] });

async function refusal(promise: Promise<unknown>): Promise<ContentPolicyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!ContentPolicyError.isInstance(error))
    throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('guardrails stage', () => {
  it('redacts PII from the input before the model sees it', async () => {
    const model = wrapModel(createMockModel({ mode: 'echo' }), [
      createGuardrails({ allow: ['support@llmr.dev'] }),
    ]);
    const { text } = await generate(
      model,
      ask('I am ada@example.org, card 4111 1111 1111 1111; write support@llmr.dev'),
    );
    expect(text).toBe('I am [REDACTED:email], card [REDACTED:card]; write support@llmr.dev');
  });

  it('refuses deny-listed input with the rule id, by phrase (whole words) or pattern', async () => {
    const model = wrapModel(createMockModel({ mode: 'echo' }), [
      createGuardrails({ deny: ['project falcon', '/drop\\s+table/i'] }),
    ]);
    const phrase = await refusal(generate(model, ask('Tell me about PROJECT\n  Falcon please')));
    expect(phrase).toMatchObject({
      ruleId: 'deny-list:project falcon',
      direction: 'input',
      stage: 'guardrails',
    });
    const pattern = await refusal(generate(model, ask('x; DROP   TABLE users')));
    expect(pattern.ruleId).toBe('deny-list:/drop\\s+table/i');
    // Whole words only: "falconry" is not "falcon".
    expect((await generate(model, ask('project falconry'))).text).toBe('project falconry');
  });

  it('refuses prompts over the token limit, counted with the model tokenizer', async () => {
    const model = wrapModel(createMockModel({ mode: 'echo' }), [
      createGuardrails({ maxInputTokens: 10 }),
    ]);
    expect((await generate(model, ask('abcdefghij'))).text).toBe('abcdefghij');
    const error = await refusal(generate(model, ask('abcdefghijk')));
    expect(error).toMatchObject({ ruleId: 'max-input-tokens', code: 'content-blocked' });
    expect(error.message).toContain('11 input tokens');
  });

  it('checks and redacts the output only when asked, buffering the stream then', async () => {
    const reply = 'Reach me at ada@example.org about the secret plan';
    const passThrough = createGuardrails({});
    const checking = createGuardrails({ output: true, deny: ['secret plan'] });
    expect(passThrough.output).toBeUndefined();
    expect(checking.output).toBe('buffered');
    const open = wrapModel(createMockModel({ mode: 'script', replies: [reply] }), [passThrough]);
    expect((await generate(open, { prompt: 'hi' })).text).toBe(reply);
    const redacting = wrapModel(createMockModel({ mode: 'script', replies: [reply] }), [
      createGuardrails({ output: true }),
    ]);
    const { stream } = await redacting.doStream({ prompt: 'hi' });
    const deltas: string[] = [];
    for await (const part of stream as unknown as AsyncIterable<{ type: string; delta?: string }>)
      if (part.type === 'text-delta') deltas.push(part.delta!);
    expect(deltas).toEqual(['Reach me at [REDACTED:email] about the secret plan']);
    const denied = wrapModel(createMockModel({ mode: 'script', replies: [reply] }), [checking]);
    expect(await refusal(generate(denied, { prompt: 'hi' }))).toMatchObject({
      direction: 'output',
      ruleId: 'deny-list:secret plan',
    });
  });

  it('rejects options that can never work, naming the field', () => {
    expect(() => createGuardrails({ redact: ['ssn'] } as never)).toThrow(
      /guardrails: `redact\[0\]` must be one of/,
    );
    expect(() => createGuardrails({ deny: ['/(/'] })).toThrow(InvalidArgumentError);
    expect(() => createGuardrails({ maxInputTokens: 0 })).toThrow(/positive integer/);
    expect(() => createGuardrails({ denyList: [] } as never)).toThrow(
      /not an option of this stage/,
    );
  });
});
