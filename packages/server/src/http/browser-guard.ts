/**
 * Defences against web pages driving a local server through the user's browser.
 *
 * DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and then reads
 * responses as same-origin. Its requests still carry `Host: evil.example`, so a server
 * bound to loopback answers only Host names that mean loopback (plus `allowedHosts`).
 *
 * Cross-site simple requests: a page can POST `text/plain` or a form to any origin
 * without a CORS preflight (the response is unreadable, but the action happens: a model
 * loads, a generation runs). State-changing requests must be JSON, or carry a header a
 * page cannot send without a preflight (`authorization`, `x-api-key`, `x-llmr-request`).
 */
import type { FastifyInstance } from 'fastify';
import { openAIError } from '../openai/errors';
import { isLoopbackHost } from './exposure-warnings';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The host name of a Host header (`[::1]:8080` -> `[::1]`, `localhost:80` -> `localhost`). */
function hostName(header: string): string {
  const match = /^(\[[^\]]*\]|[^:]*)/.exec(header.trim());
  return (match?.[1] ?? '').toLowerCase();
}

export function addBrowserGuard(
  app: FastifyInstance,
  options: {
    /** True once the server listens on a loopback address only. */
    loopbackOnly: () => boolean;
    /** More Host names to accept on loopback (a name in /etc/hosts, a proxy's name). */
    allowedHosts?: readonly string[];
  },
): void {
  const allowed = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
  // A callback hook, not an async one: no promise per request for a synchronous check.
  app.addHook('onRequest', (request, reply, done) => {
    if (options.loopbackOnly()) {
      const name = hostName(request.headers.host ?? '');
      if (!isLoopbackHost(name) && !allowed.has(name)) {
        const refused = openAIError(
          403,
          `This server listens on loopback and does not answer for the Host "${name}" (a protection against DNS rebinding). Use http://127.0.0.1 or http://localhost, or add the name to allowedHosts.`,
          'invalid_request_error',
          'host_not_allowed',
        );
        reply.status(refused.status).send(refused.body);
        return;
      }
    }
    if (!STATE_CHANGING.has(request.method)) return done();
    const headers = request.headers;
    if (headers.authorization || headers['x-api-key'] || headers['x-llmr-request']) return done();
    const type = headers['content-type'];
    if (typeof type === 'string' && JSON_TYPE.test(type)) return done();
    const refused = openAIError(
      415,
      `${request.method} requests must send "Content-Type: application/json" (got ${type ? JSON.stringify(type) : 'none'}), or an x-llmr-request header: this keeps web pages from triggering actions here without CORS.`,
      'invalid_request_error',
      'unsupported_media_type',
    );
    reply.status(refused.status).send(refused.body);
  });
}
