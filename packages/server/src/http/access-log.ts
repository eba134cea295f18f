/**
 * One access-log line per request, written when it ends: the request (method, url, host,
 * remote address), its status and the time it took. Fastify's default is two lines
 * ('incoming request', then 'request completed'): twice the serializing and writing on
 * every request, for a first line that says nothing the last does not.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

export class AccessLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    if (error)
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    else
      reply.log.info(
        { req: request, res: reply, responseTime: reply.elapsedTime },
        'request completed',
      );
  }
}
