/**
 * JSON schemas of the OpenAI-compatible routes. Fastify validates requests with them
 * and @fastify/swagger turns them into the OpenAPI document, so they are the single
 * source of truth for both. Unknown fields are refused, as OpenAI does.
 */

/**
 * Bounds on free-text fields that are not the prompt: they are copied into logs, the
 * in-flight list, routing and every generation step (stop sequences are matched against
 * each token), so an unbounded one costs memory and CPU for nothing.
 */
export const MAX_MODEL_NAME_LENGTH = 256;
export const MAX_STOP_SEQUENCE_LENGTH = 256;
export const MAX_USER_LENGTH = 256;
export const MAX_NAME_LENGTH = 256;

const modelName = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_MODEL_NAME_LENGTH,
  description: 'A model id, an alias, or `auto`.',
} as const;

const stop = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: MAX_STOP_SEQUENCE_LENGTH },
    {
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: MAX_STOP_SEQUENCE_LENGTH },
      maxItems: 16,
    },
    { type: 'null' },
  ],
  description: 'Up to 16 sequences where generation stops; they are not returned.',
} as const;

const sampling = {
  temperature: { type: 'number', minimum: 0, maximum: 2, description: '0 is greedy.' },
  top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  top_k: { type: 'integer', minimum: 0, description: 'llmr extension (llama.cpp).' },
  min_p: { type: 'number', minimum: 0, maximum: 1, description: 'llmr extension (llama.cpp).' },
  repetition_penalty: {
    type: 'number',
    exclusiveMinimum: 0,
    description: 'llmr extension (llama.cpp repeat_penalty).',
  },
  frequency_penalty: { type: 'number', minimum: -2, maximum: 2 },
  presence_penalty: { type: 'number', minimum: -2, maximum: 2 },
  seed: { type: 'integer' },
  n: { type: 'integer', minimum: 1, maximum: 1, description: 'Only 1 is supported.' },
  stop,
  stream: { type: 'boolean' },
  stream_options: {
    anyOf: [
      {
        type: 'object',
        properties: { include_usage: { type: 'boolean' } },
        additionalProperties: false,
      },
      { type: 'null' },
    ],
  },
  user: { type: 'string', maxLength: MAX_USER_LENGTH },
} as const;

const textPart = {
  type: 'object',
  required: ['type', 'text'],
  properties: { type: { const: 'text' }, text: { type: 'string' } },
  additionalProperties: false,
} as const;

const toolCall = {
  type: 'object',
  required: ['id', 'type', 'function'],
  properties: {
    id: { type: 'string' },
    type: { const: 'function' },
    function: {
      type: 'object',
      required: ['name', 'arguments'],
      properties: { name: { type: 'string' }, arguments: { type: 'string' } },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

const message = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
    content: { anyOf: [{ type: 'string' }, { type: 'array', items: textPart }, { type: 'null' }] },
    name: { type: 'string', maxLength: MAX_NAME_LENGTH },
    tool_calls: { type: 'array', items: toolCall },
    tool_call_id: { type: 'string' },
  },
  additionalProperties: false,
} as const;

const tool = {
  type: 'object',
  required: ['type', 'function'],
  properties: {
    type: { const: 'function' },
    function: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
        description: { type: 'string' },
        parameters: { type: 'object' },
        strict: { type: ['boolean', 'null'] },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

export const chatCompletionRequestSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: modelName,
    messages: { type: 'array', items: message, minItems: 1 },
    max_tokens: { type: ['integer', 'null'], minimum: 1 },
    max_completion_tokens: { type: ['integer', 'null'], minimum: 1 },
    ...sampling,
    logprobs: { type: ['boolean', 'null'] },
    top_logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 20 },
    response_format: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['text', 'json_object', 'json_schema'] },
        json_schema: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string', maxLength: MAX_NAME_LENGTH },
            description: { type: 'string' },
            schema: { type: 'object' },
            strict: { type: ['boolean', 'null'] },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    tools: { type: 'array', items: tool, maxItems: 128 },
    tool_choice: {
      anyOf: [
        { enum: ['none', 'auto', 'required'] },
        {
          type: 'object',
          required: ['type', 'function'],
          properties: {
            type: { const: 'function' },
            function: {
              type: 'object',
              required: ['name'],
              properties: { name: { type: 'string' } },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
      ],
    },
    parallel_tool_calls: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

export const completionRequestSchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    model: modelName,
    prompt: {
      anyOf: [
        { type: 'string' },
        { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1 },
      ],
    },
    max_tokens: { type: ['integer', 'null'], minimum: 1 },
    ...sampling,
    logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 5 },
    echo: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

export const embeddingRequestSchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: modelName,
    input: {
      anyOf: [
        { type: 'string' },
        { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2048 },
      ],
    },
    encoding_format: { enum: ['float', 'base64'] },
    dimensions: { type: 'integer', minimum: 1 },
    user: { type: 'string', maxLength: MAX_USER_LENGTH },
  },
  additionalProperties: false,
} as const;

export const openAIErrorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: ['string', 'null'] },
        code: { type: ['string', 'null'] },
      },
    },
  },
} as const;

export interface ChatMessageBody {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | { type: 'text'; text: string }[] | null;
  name?: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

interface SamplingBody {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  seed?: number;
  n?: number;
  stop?: string | string[] | null;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  user?: string;
}

export interface ChatCompletionBody extends SamplingBody {
  model: string;
  messages: ChatMessageBody[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  response_format?: {
    type: 'text' | 'json_object' | 'json_schema';
    json_schema?: { name: string; schema?: Record<string, unknown> };
  };
  tools?: {
    type: 'function';
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
}

export interface CompletionBody extends SamplingBody {
  model: string;
  prompt: string | string[];
  max_tokens?: number | null;
  logprobs?: number | null;
  echo?: boolean;
}

export interface EmbeddingBody {
  model: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}
