/** `/api/health/models`: the models any replica sharing this server's state sees unhealthy. */
import type { FastifyInstance } from 'fastify';
import type { Guard } from '../http/guard';
import type { ModelHealthMark } from '../shared-state/model-health-sync';

export function registerModelHealthRoutes(
  app: FastifyInstance,
  options: { guard: Guard; replica: string; read(): Promise<ModelHealthMark[]> },
): void {
  app.get(
    '/api/health/models',
    {
      preHandler: options.guard,
      schema: {
        tags: ['llmr'],
        summary: 'Models marked unhealthy by any replica (shared through Redis with --redis)',
      },
    },
    async () => ({ replica: options.replica, unhealthy: await options.read() }),
  );
}
