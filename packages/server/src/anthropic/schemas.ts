/**
 * JSON schemas of Anthropic's Messages API requests (what llmr accepts of them): ajv
 * checks bodies before any model is touched, and each problem becomes an
 * `invalid_request_error` naming the field.
 */
const text = { type: 'string' } as const;

const textBlock = {
  type: 'object',
  required: ['type', 'text'],
  properties: { type: { const: 'text' }, text, cache_control: { type: 'object' } },
  additionalProperties: false,
} as const;

const contentBlock = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['text', 'tool_use', 'tool_result'] },
    text,
    id: text,
    name: text,
    input: { type: 'object' },
    tool_use_id: text,
    content: { anyOf: [text, { type: 'array', items: textBlock }] },
    is_error: { type: 'boolean' },
    cache_control: { type: 'object' },
  },
  additionalProperties: false,
} as const;

const message = {
  type: 'object',
  required: ['role', 'content'],
  properties: {
    role: { enum: ['user', 'assistant'] },
    content: { anyOf: [text, { type: 'array', items: contentBlock }] },
  },
  additionalProperties: false,
} as const;

const tool = {
  type: 'object',
  required: ['name', 'input_schema'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    description: text,
    input_schema: { type: 'object' },
    type: text,
    cache_control: { type: 'object' },
  },
  additionalProperties: false,
} as const;

const toolChoice = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['auto', 'any', 'tool', 'none'] },
    name: text,
    disable_parallel_tool_use: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const promptProperties = {
  model: { type: 'string', minLength: 1 },
  messages: { type: 'array', minItems: 1, maxItems: 10_000, items: message },
  system: { anyOf: [text, { type: 'array', items: textBlock }] },
  tools: { type: 'array', maxItems: 128, items: tool },
  tool_choice: toolChoice,
} as const;

export const messagesRequestSchema = {
  type: 'object',
  required: ['model', 'max_tokens', 'messages'],
  properties: {
    ...promptProperties,
    max_tokens: { type: 'integer', minimum: 1 },
    stop_sequences: { type: 'array', maxItems: 16, items: text },
    stream: { type: 'boolean' },
    temperature: { type: 'number', minimum: 0, maximum: 1 },
    top_p: { type: 'number', minimum: 0, maximum: 1 },
    top_k: { type: 'integer', minimum: 0 },
    metadata: { type: 'object', properties: { user_id: text } },
  },
  additionalProperties: false,
} as const;

export const countTokensRequestSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: promptProperties,
  additionalProperties: false,
} as const;

export type AnthropicTextBlock = { type: 'text'; text: string };
export type AnthropicRequestBlock =
  | AnthropicTextBlock
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | {
      type: 'tool_result';
      tool_use_id: string;
      content?: string | AnthropicTextBlock[];
      is_error?: boolean;
    };

export interface AnthropicPromptBody {
  model: string;
  messages: { role: 'user' | 'assistant'; content: string | AnthropicRequestBlock[] }[];
  system?: string | AnthropicTextBlock[];
  tools?: { name: string; description?: string; input_schema: Record<string, unknown> }[];
  tool_choice?: { type: 'auto' | 'any' | 'tool' | 'none'; name?: string };
}

export interface MessagesBody extends AnthropicPromptBody {
  max_tokens: number;
  stop_sequences?: string[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  metadata?: { user_id?: string };
}
