import { compileBodyValidators } from '@llmr/server';
import { describe, expect, it } from 'vitest';
import type { ChatRequestMessage, SamplingParameters } from './grpc-messages';
import { chatBody, completionBody } from './to-openai-body';

const unset: SamplingParameters = {
  max_tokens: null,
  temperature: null,
  top_p: null,
  top_k: null,
  min_p: null,
  repetition_penalty: null,
  frequency_penalty: null,
  presence_penalty: null,
  seed: null,
  stop: [],
};

const request = (overrides: Partial<ChatRequestMessage>): ChatRequestMessage => ({
  model: '',
  messages: [{ role: 'user', content: 'hi', name: '', tool_calls: [], tool_call_id: '' }],
  sampling: null,
  tools: [],
  tool_choice: null,
  response_format: null,
  user: '',
  ...overrides,
});

describe('llmr.v1 requests as REST bodies', () => {
  const validators = compileBodyValidators();

  it('maps tools, tool choice, response format, sampling and tool messages', () => {
    const body = chatBody(
      request({
        model: 'm',
        messages: [
          { role: 'user', content: 'weather?', name: '', tool_calls: [], tool_call_id: '' },
          {
            role: 'assistant',
            content: '',
            name: '',
            tool_calls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' }],
            tool_call_id: '',
          },
          { role: 'tool', content: 'rain', name: '', tool_calls: [], tool_call_id: 'c1' },
        ],
        sampling: { ...unset, temperature: { value: 0 }, seed: { value: 7 }, stop: ['\n'] },
        tools: [
          {
            name: 'weather',
            description: 'Weather by city',
            parameters_json_schema: '{"type":"object","properties":{"city":{"type":"string"}}}',
          },
        ],
        tool_choice: { choice: 'function_name', function_name: 'weather' },
        response_format: {
          type: 'TYPE_JSON_SCHEMA',
          json_schema_name: 'answer',
          json_schema: '{"type":"object"}',
        },
      }),
    );
    expect(body).toEqual({
      model: 'm',
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            {
              id: 'c1',
              type: 'function',
              function: { name: 'weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', content: 'rain', tool_call_id: 'c1' },
      ],
      temperature: 0,
      seed: 7,
      stop: ['\n'],
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'Weather by city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object' } },
      },
    });
    expect(validators.chat(body)).toBe(true);
  });

  it('leaves unset what proto3 leaves unset, and an empty model is auto', () => {
    const body = chatBody(request({ tool_choice: { choice: 'mode', mode: 'MODE_REQUIRED' } }));
    expect(body).toEqual({
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
      tool_choice: 'required',
    });
    expect(
      completionBody({ model: '', prompt: 'p', sampling: null, echo: false, user: '' }),
    ).toEqual({
      model: 'auto',
      prompt: 'p',
    });
  });

  it('names the field whose JSON does not parse', () => {
    expect(() =>
      chatBody(
        request({
          response_format: { type: 'TYPE_JSON_SCHEMA', json_schema_name: '', json_schema: '{' },
        }),
      ),
    ).toThrow(/response_format\.json_schema must be a JSON text/);
  });
});
