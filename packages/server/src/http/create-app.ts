/** The Fastify instance with every server-wide bound: body size, timeouts, connections. */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerTimeouts } from '../server-options';
import { AccessLogController } from './access-log';
import { loggerOptions } from './logger-options';

export function createApp(options: {
  bodyLimit: number;
  logger: boolean | Record<string, unknown> | undefined;
  timeouts: ServerTimeouts;
}): FastifyInstance {
  const { timeouts } = options;
  const headersMs = timeouts.headersMs ?? 15_000;
  const app = Fastify({
    // Node checks the header and request timeouts only this often (30 s by default), so a
    // slow-writing client would hold its socket that much past them.
    http: { connectionsCheckingInterval: Math.max(100, Math.min(1_000, headersMs / 2)) },
    bodyLimit: options.bodyLimit,
    logger: loggerOptions(options.logger),
    logController: new AccessLogController(),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    forceCloseConnections: 'idle',
    requestTimeout: timeouts.requestMs ?? 30_000,
    connectionTimeout: timeouts.connectionMs ?? 120_000,
    keepAliveTimeout: timeouts.keepAliveMs ?? 5_000,
  });
  app.server.headersTimeout = headersMs;
  app.server.maxConnections = timeouts.maxConnections ?? 4096;
  return app;
}
