/** pino options for Fastify: secrets never reach the log, wherever they were presented. */
import type { FastifyRequest } from 'fastify';
import { redactApiKey } from '../auth';

/** `options`: pino options laid over the defaults, or false for no logging. */
export function loggerOptions(
  options: boolean | Record<string, unknown> | undefined,
): false | Record<string, unknown> {
  if (options === false) return false;
  return {
    level: 'info',
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
    serializers: {
      // Fastify's own request fields, with an `?api_key=` (WebSocket auth) hidden.
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactApiKey(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
    ...(typeof options === 'object' ? options : {}),
  };
}
