/**
 * `POST /v1/tokenize` and `POST /v1/detokenize`: a served model's tokenizer (llmr
 * extensions; OpenAI has no such routes). 501 when the backend cannot lend tokenizers.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerBackend } from '../backend';
import type { Guard } from '../http/guard';
import { openAIError } from '../openai/errors';
import { routingHeaders } from '../routing';

/** The most token ids one detokenize request may carry. */
export const MAX_DETOKENIZE_TOKENS = 1 << 20;

export interface TokenizeBody {
  model: string;
  input: string;
  add_special_tokens?: boolean;
}

export interface DetokenizeBody {
  model: string;
  tokens: number[];
  skip_special_tokens?: boolean;
}

const tokenizeSchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1, description: 'A model id or alias (one tokenizer).' },
    input: { type: 'string' },
    add_special_tokens: {
      type: 'boolean',
      description: "Add the tokenizer's BOS (default false).",
    },
  },
  additionalProperties: false,
} as const;

const detokenizeSchema = {
  type: 'object',
  required: ['model', 'tokens'],
  properties: {
    model: { type: 'string', minLength: 1 },
    tokens: {
      type: 'array',
      items: { type: 'integer', minimum: 0 },
      maxItems: MAX_DETOKENIZE_TOKENS,
    },
    skip_special_tokens: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

function notImplemented(route: string) {
  return openAIError(
    501,
    `This server's backend does not expose tokenizers, so ${route} is unavailable.`,
    'server_error',
    'not_implemented',
  );
}

export function registerTokenizerRoutes(
  app: FastifyInstance,
  options: { guard: Guard; backend: ServerBackend },
): void {
  const { backend } = options;
  app.post<{ Body: TokenizeBody }>('/v1/tokenize', {
    preHandler: options.guard,
    schema: {
      tags: ['llmr'],
      summary: "Token ids of a text under a model's tokenizer",
      body: tokenizeSchema,
    },
    handler: async (request, reply) => {
      if (!backend.tokenize) {
        const refused = notImplemented('/v1/tokenize');
        return reply.status(refused.status).send(refused.body);
      }
      const body = request.body;
      const { modelId, tokens } = await backend.tokenize(body.model, body.input, {
        addSpecialTokens: body.add_special_tokens === true,
      });
      reply.headers(routingHeaders({ modelId }));
      return { object: 'list', model: modelId, tokens };
    },
  });
  app.post<{ Body: DetokenizeBody }>('/v1/detokenize', {
    preHandler: options.guard,
    schema: {
      tags: ['llmr'],
      summary: "Text of token ids under a model's tokenizer",
      body: detokenizeSchema,
    },
    handler: async (request, reply) => {
      if (!backend.detokenize) {
        const refused = notImplemented('/v1/detokenize');
        return reply.status(refused.status).send(refused.body);
      }
      const body = request.body;
      const { modelId, text } = await backend.detokenize(body.model, body.tokens, {
        skipSpecialTokens: body.skip_special_tokens === true,
      });
      reply.headers(routingHeaders({ modelId }));
      return { model: modelId, text };
    },
  });
}
