/** Chat templates: the real Qwen 3 and Llama 3 templates, tools and tool calls, named templates, errors. */
import { LlmrError, type ModelV1Message } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { loadRealTokenizer } from './__fixtures__/reference';
import { type ChatTemplateError, toTemplateMessages } from './chat-template';
import { loadTokenizer } from './load-tokenizer';

const messages: ModelV1Message[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Weather in Paris?' },
  {
    role: 'assistant',
    content: '',
    toolCalls: [{ id: 'call_1', toolName: 'get_weather', arguments: '{"city":"Paris"}' }],
  },
  { role: 'tool', toolCallId: 'call_1', content: '{"temp": 21}' },
];
const tools = [
  {
    type: 'function' as const,
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

describe('applyChatTemplate', () => {
  it('renders the real Qwen 3 template with tools, tool calls and tool results', () => {
    const { json, config } = loadRealTokenizer('qwen3');
    const tokenizer = loadTokenizer(json, config);
    const prompt = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, tools });
    expect(prompt.startsWith('<|im_start|>system\nYou are terse.')).toBe(true);
    expect(prompt).toContain('"name": "get_weather"');
    expect(prompt).toContain(
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    );
    expect(prompt).toContain('<tool_response>\n{"temp": 21}\n</tool_response>');
    expect(prompt.endsWith('<|im_start|>assistant\n')).toBe(true);
    const noPrompt = tokenizer.applyChatTemplate(messages.slice(0, 2));
    expect(noPrompt.endsWith('<|im_end|>\n')).toBe(true);
    expect(noPrompt).not.toContain('# Tools');
  });

  it('renders the real Llama 3 template with its BOS token and extra variables', () => {
    const { json, config } = loadRealTokenizer('llama3');
    const tokenizer = loadTokenizer(json, config);
    const prompt = tokenizer.applyChatTemplate([{ role: 'user', content: ' Hi ' }], {
      addGenerationPrompt: true,
    });
    expect(prompt).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('picks a named template: tool_use with tools, default otherwise, or by name', () => {
    const { json } = loadRealTokenizer('llama2');
    const tokenizer = loadTokenizer(json, {
      chat_template: [
        { name: 'default', template: 'D:{{ messages[0].content }}' },
        { name: 'tool_use', template: 'T:{{ tools[0].function.name }}' },
        { name: 'rag', template: 'R:{{ documents | length }}' },
      ],
    });
    const user: ModelV1Message[] = [{ role: 'user', content: 'x' }];
    expect(tokenizer.applyChatTemplate(user)).toBe('D:x');
    expect(tokenizer.applyChatTemplate(user, { tools })).toBe('T:get_weather');
    expect(
      tokenizer.applyChatTemplate(user, { templateName: 'rag', variables: { documents: [1, 2] } }),
    ).toBe('R:2');
    expect(() => tokenizer.applyChatTemplate(user, { templateName: 'nope' })).toThrow(
      /no chat template named "nope"/,
    );
  });

  it('maps messages to the shape templates expect', () => {
    expect(toTemplateMessages(messages)).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: { city: 'Paris' } },
          },
        ],
      },
      { role: 'tool', content: '{"temp": 21}', tool_call_id: 'call_1' },
    ]);
  });

  it('a template that fails gives an LlmrError saying where', () => {
    const { json } = loadRealTokenizer('llama2');
    const broken = loadTokenizer(json, { chat_template: '{% for m in messages %}{{ m.content }' });
    const parseError = (() => {
      try {
        broken.applyChatTemplate([{ role: 'user', content: 'x' }]);
      } catch (error) {
        return error;
      }
    })();
    expect(LlmrError.isInstance(parseError)).toBe(true);
    expect((parseError as LlmrError).code).toBe('chat-template-error');
    expect((parseError as ChatTemplateError).phase).toBe('parse');
    expect((parseError as Error).message).toMatch(/could not be parsed/);

    const raising = loadTokenizer(json, {
      chat_template:
        "{% if messages[0].role != 'system' %}{{ raise_exception('first message must be system') }}{% endif %}",
    });
    expect(() => raising.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(
      /failed while rendering 1 message\(s\): first message must be system/,
    );

    const none = loadTokenizer(json);
    expect(() => none.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(
      /no chat template/,
    );
  });
});
