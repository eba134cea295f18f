/** Every failure, thrown or an unknown route, answers OpenAI's error shape. */
import type { FastifyInstance } from 'fastify';
import { sendRefusal } from '../access';
import { redactApiKey } from '../auth';
import { openAIError, toOpenAIError } from '../openai/errors';

export function setErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const mapped = toOpenAIError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    else
      request.log.info(
        { code: mapped.body.error.code, message: mapped.body.error.message },
        'request refused',
      );
    return sendRefusal(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(
        openAIError(
          404,
          `Unknown route ${request.method} ${redactApiKey(request.url)}. See /docs for the API.`,
          'invalid_request_error',
          'unknown_route',
        ).body,
      );
  });
}
