import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Access, sendRefusal, setClient } from '../access';

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Auth and rate limits for /v1 and /api; POSTs count against the request limit. */
export function createGuard(access: Access): Guard {
  return async (request, reply) => {
    const closed = access.open();
    if (closed) return sendRefusal(reply, closed);
    const identity = access.identify(request);
    if (identity.refused) return sendRefusal(reply, identity.refused);
    setClient(request, identity.client);
    if (request.method === 'POST') {
      const refused = access.admit(identity.client);
      if (refused) return sendRefusal(reply, refused);
    }
  };
}
