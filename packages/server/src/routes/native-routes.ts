/** llmr's own model API under /api: list, inspect, load, unload, see what is in flight. */
import type { FastifyInstance } from 'fastify';
import type { ServerBackend } from '../backend';
import type { GenerationCore } from '../generation';
import type { Guard } from '../http/guard';
import { requireModel } from './require-model';

export interface NativeRoutesOptions {
  guard: Guard;
  backend: ServerBackend;
  generations: GenerationCore;
}

export function registerNativeRoutes(app: FastifyInstance, options: NativeRoutesOptions): void {
  const { backend, generations } = options;
  const api = { preHandler: options.guard };
  app.get(
    '/api/models',
    { ...api, schema: { tags: ['llmr'], summary: 'Models with their state and info' } },
    async () => ({ models: await backend.listModels() }),
  );
  app.get<{ Params: { model: string } }>(
    '/api/models/:model',
    { ...api, schema: { tags: ['llmr'], summary: 'One model' } },
    async (request) => requireModel(backend, request.params.model),
  );
  app.post<{ Params: { model: string } }>(
    '/api/models/:model/load',
    { ...api, schema: { tags: ['llmr'], summary: 'Load a model now' } },
    async (request) => backend.load(request.params.model),
  );
  app.post<{ Params: { model: string } }>(
    '/api/models/:model/unload',
    { ...api, schema: { tags: ['llmr'], summary: 'Unload a model' } },
    async (request) => {
      await backend.unload(request.params.model);
      return { unloaded: request.params.model };
    },
  );
  app.get(
    '/api/inflight',
    { ...api, schema: { tags: ['llmr'], summary: 'Requests in progress' } },
    async () => ({ requests: generations.list() }),
  );
}
