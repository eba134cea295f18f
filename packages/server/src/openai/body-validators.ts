/**
 * The REST routes' JSON schemas, compiled the way Fastify compiles them, for transports
 * that receive bodies outside Fastify's routing (WebSocket, gRPC): same limits, same
 * messages.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { OpenAIRoute } from './chunks';
import { chatCompletionRequestSchema, completionRequestSchema } from './schemas';

export function compileBodyValidators(): Record<OpenAIRoute, ValidateFunction> {
  const ajv = new Ajv({
    removeAdditional: false,
    coerceTypes: false,
    allErrors: false,
    useDefaults: true,
    allowUnionTypes: true,
  });
  return {
    chat: ajv.compile(chatCompletionRequestSchema),
    completion: ajv.compile(completionRequestSchema),
  };
}
