import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Access, sendRefusal, setAdmission, setClient } from '../access';
import { estimateReservation } from '../reservation-estimate';

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Auth and rate limits for /v1 and /api; POSTs count against the request limit and
 * reserve their tokens. Runs as a preHandler, after the body is parsed and validated.
 */
export function createGuard(access: Access): Guard {
  return async (request, reply) => {
    const closed = access.open();
    if (closed) return sendRefusal(reply, closed);
    const identity = access.identify(request);
    if (identity.refused) return sendRefusal(reply, identity.refused);
    setClient(request, identity.client);
    // Without limits there is nothing to reserve: no estimate, no hold to settle.
    if (request.method === 'POST' && access.limitsEnabled) {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const maxTokens = body.max_tokens ?? body.max_completion_tokens ?? body.maxTokens;
      const { refused, admission } = await access.admit(
        identity.client,
        estimateReservation({
          prompt: body.prompt,
          messages: body.messages,
          input: body.input,
          maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
        }),
      );
      if (refused) return sendRefusal(reply, refused);
      reply.headers(admission.headers);
      setAdmission(request, admission);
      // Whatever ends the request (an error, a route without generation), the hold ends.
      reply.raw.once('close', () => admission.settle(0));
    }
  };
}
