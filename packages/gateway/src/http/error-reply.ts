/**
 * Gateway refusals in the server's error shape (OpenAI's: `{ error: { message, type,
 * param, code } }`), with `Retry-After` where waiting helps.
 */
import { InvalidArgumentError, LlmrError } from '@llmr/core';
import type { FastifyReply } from 'fastify';
import { GatewayError } from '../gateway-errors';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'invalid_request_error',
  429: 'requests',
};

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorStatus(error: unknown): number {
  if (GatewayError.isInstance(error)) return error.status;
  if (InvalidArgumentError.isInstance(error)) return 400;
  return 500;
}

export function errorBody(error: unknown): ErrorBody {
  const status = errorStatus(error);
  if (status === 500 || !LlmrError.isInstance(error)) {
    return {
      error: {
        message: 'The gateway failed; see the server log.',
        type: 'server_error',
        param: null,
        code: null,
      },
    };
  }
  const param = InvalidArgumentError.isInstance(error) ? error.argument : null;
  const code =
    status === 401 && error.code === 'gateway-unauthenticated' ? 'invalid_api_key' : error.code;
  return {
    error: { message: error.message, type: TYPES[status] ?? 'invalid_request_error', param, code },
  };
}

export function sendGatewayError(reply: FastifyReply, error: unknown): FastifyReply {
  const status = errorStatus(error);
  if (status === 500) reply.log.error({ err: error }, 'gateway failed');
  if (GatewayError.isInstance(error) && error.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(error.retryAfterSeconds));
  }
  return reply.code(status).send(errorBody(error));
}
