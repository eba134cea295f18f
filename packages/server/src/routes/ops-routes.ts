/**
 * What operators and tools call, without auth: liveness, readiness (the default model is
 * loaded and the server is not draining), Prometheus metrics, and the OpenAPI document
 * with its /docs page.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { ServerBackend } from '../backend';
import type { Metrics } from '../metrics';

/** Registered before any route, so that every route's schema lands in the document. */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'llmr API',
        version: '0.1.0',
        description:
          'OpenAI-compatible API served by llmr. Also: WebSocket streaming at /v1/ws and GraphQL at /graphql (see the README).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export interface OpsRoutesOptions {
  backend: ServerBackend;
  metrics: Metrics;
  isDraining: () => boolean;
}

export function registerOpsRoutes(app: FastifyInstance, options: OpsRoutesOptions): void {
  const { backend, metrics } = options;
  app.get('/health', { schema: { tags: ['ops'], summary: 'The process is up' } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/ready',
    { schema: { tags: ['ops'], summary: 'The default model is loaded' } },
    async (_request, reply) => {
      const draining = options.isDraining();
      const ready = backend.isReady() && !draining;
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : draining ? 'draining' : 'loading' });
    },
  );
  app.get(
    '/metrics',
    { schema: { tags: ['ops'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
