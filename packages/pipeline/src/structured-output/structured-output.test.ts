import { collectStream, generate, type ModelV1CallOptions, wrapModel } from '@llmr/core';
import { createMockModel } from '@llmr/loader-mock';
import { describe, expect, it } from 'vitest';
import { recordCalls } from '../__fixtures__/recording-model';
import { OutputValidationError } from './output-validation-error';
import { createStructuredOutput } from './structured-output';

const schema = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
  required: ['name', 'age'],
  additionalProperties: false,
};
const request: ModelV1CallOptions = {
  messages: [{ role: 'user', content: 'Who wrote the first program?' }],
  responseFormat: { type: 'json', schema },
};

const counting = (replies: { match?: string; text: string }[]) =>
  recordCalls(createMockModel({ mode: 'script', replies }));

describe('structured-output stage', () => {
  it('passes valid JSON through (a fenced block is unwrapped)', async () => {
    const { model, calls } = counting([{ text: '```json\n{"name":"Ada","age":36}\n```' }]);
    const result = await generate(wrapModel(model, [createStructuredOutput()]), request);
    expect(JSON.parse(result.text)).toEqual({ name: 'Ada', age: 36 });
    expect(calls()).toBe(1);
  });

  it('retries once with the validation errors shown to the model, on streams too', async () => {
    // The script answers correctly only once it sees the feedback in the conversation.
    const { model, calls } = counting([
      { match: 'failed validation', text: '{"name":"Ada","age":36}' },
      { text: '{"name":"Ada"}' },
    ]);
    const { stream } = await wrapModel(model, [createStructuredOutput()]).doStream(request);
    const result = await collectStream(stream);
    expect(JSON.parse(result.text)).toEqual({ name: 'Ada', age: 36 });
    expect(calls()).toBe(2);
  });

  it('fails clearly when the retry is invalid too, and skips requests without a schema', async () => {
    const { model, calls } = counting([{ text: 'Ada Lovelace, aged 36' }]);
    const wrapped = wrapModel(model, [createStructuredOutput()]);
    const error = await generate(wrapped, request).catch((caught: unknown) => caught);
    expect(OutputValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'output-invalid' });
    expect((error as OutputValidationError).problems[0]).toMatch(/not valid JSON/);
    expect(calls()).toBe(2);
    expect((await generate(wrapped, { prompt: 'hi' })).text).toBe('Ada Lovelace, aged 36');
    const noRetry = counting([{ text: '{"name":"Ada","age":-1,"x":1}' }]);
    const strict = await generate(
      wrapModel(noRetry.model, [createStructuredOutput({ retries: 0 })]),
      request,
    ).catch((caught: unknown) => caught);
    expect(noRetry.calls()).toBe(1);
    expect((strict as OutputValidationError).problems).toEqual([
      '(root) must NOT have additional properties',
      '/age must be >= 0',
    ]);
  });

  it('reports a schema that is not JSON Schema as the caller’s error', async () => {
    const { model } = counting([{ text: '{}' }]);
    await expect(
      generate(wrapModel(model, [createStructuredOutput()]), {
        prompt: 'x',
        responseFormat: { type: 'json', schema: { type: 'nonsense' } },
      }),
    ).rejects.toMatchObject({ code: 'invalid-argument', argument: 'responseFormat.schema' });
    expect(() => createStructuredOutput({ retries: 9 })).toThrow(/from 0 to 3/);
  });
});
