/**
 * The hooks and plugins every route sits behind: security headers, the browser guard
 * (Host allow-list, no CORS-simple writes), CORS, the OpenAPI docs, the shared WebSocket
 * server, the request id, and the error handlers.
 */
import cors from '@fastify/cors';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { registerApiDocs } from '../routes/ops-routes';
import { addBrowserGuard } from './browser-guard';
import { setErrorHandlers } from './error-handlers';
import { addSecurityHeaders } from './security-headers';

export async function registerHttpHooks(
  app: FastifyInstance,
  options: {
    bodyLimit: number;
    corsOrigins: (string | RegExp)[] | false;
    loopbackOnly: () => boolean;
    allowedHosts?: string[];
  },
): Promise<void> {
  const { bodyLimit, corsOrigins } = options;
  addSecurityHeaders(app);
  addBrowserGuard(app, {
    loopbackOnly: options.loopbackOnly,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
  });
  if (corsOrigins !== false) {
    await app.register(cors, {
      origin: corsOrigins,
      exposedHeaders: ['x-llmr-model', 'x-llmr-strategy', 'x-llmr-attempts', 'x-request-id'],
    });
  }
  await registerApiDocs(app);
  // Registered once, before mercurius, so that /v1/ws and GraphQL subscriptions share one
  // WebSocket server (mercurius reuses an existing one).
  await app.register(websocket, { options: { maxPayload: bodyLimit } });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  setErrorHandlers(app);
}
