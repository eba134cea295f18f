/**
 * The gRPC server: llmr.v1's four services over the REST server's backend, generation core
 * and access rules, plus the standard health service (grpc.health.v1) and server
 * reflection, so grpcurl, Postman and any gRPC client can find and call it.
 */
import {
  type GrpcObject,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { createGenerationHandlers } from './generation-handlers';
import { type GrpcCallObserver, grpcCallObserverOf } from './grpc-call-observer';
import type { GrpcContext } from './grpc-context';
import { createEmbeddingHandlers, createModelHandlers } from './model-handlers';
import { LLMR_SERVICES, loadLlmrPackageDefinition } from './proto-files';
import { createTokenizerHandlers } from './tokenizer-handlers';

export interface GrpcServerOptions extends Omit<GrpcContext, 'observer'> {
  /** Largest request message in bytes (default 4 MiB, as REST's body limit). */
  maxReceiveMessageLength?: number;
  /**
   * Wraps each generating call (a span, SLO events). Default: the one set on these options
   * with `setGrpcCallObserver` (as `observeServer` does on `server.shared`), if any.
   */
  observer?: GrpcCallObserver;
}

export interface LlmrGrpcServer {
  readonly server: Server;
  /** Binds `host:port` (port 0: any free one) without TLS; resolves to the bound port. */
  listen(options?: { port?: number; host?: string }): Promise<number>;
  /** Reports NOT_SERVING, refuses new calls, waits for running ones up to the deadline, then cancels them. */
  shutdown(deadlineMs?: number): Promise<void>;
}

function service(root: GrpcObject, name: string): ServiceDefinition {
  let node: unknown = root;
  for (const part of name.split('.')) node = (node as Record<string, unknown>)[part];
  return (node as { service: ServiceDefinition }).service;
}

export function createGrpcServer(options: GrpcServerOptions): LlmrGrpcServer {
  const definition = loadLlmrPackageDefinition();
  const root = loadPackageDefinition(definition);
  const server = new Server({
    'grpc.max_receive_message_length': options.maxReceiveMessageLength ?? 4 * 1024 * 1024,
  });
  const context: GrpcContext = {
    backend: options.backend,
    core: options.core,
    access: options.access,
    ...(options.gateway ? { gateway: options.gateway } : {}),
    observer: () => options.observer ?? grpcCallObserverOf(options),
  };
  const handlers: Record<(typeof LLMR_SERVICES)[number], object> = {
    'llmr.v1.GenerationService': createGenerationHandlers(context),
    'llmr.v1.EmbeddingService': createEmbeddingHandlers(context),
    'llmr.v1.TokenizerService': createTokenizerHandlers(context),
    'llmr.v1.ModelService': createModelHandlers(context),
  };
  for (const name of LLMR_SERVICES)
    server.addService(service(root, name), handlers[name] as Parameters<Server['addService']>[1]);

  // '' is the whole server; each service by name too, as the health protocol defines.
  const health = new HealthImplementation({
    '': 'NOT_SERVING',
    ...Object.fromEntries(LLMR_SERVICES.map((name) => [name, 'NOT_SERVING'])),
  });
  health.addToServer(server);
  new ReflectionService(definition).addToServer(server);

  const setHealth = (state: 'SERVING' | 'NOT_SERVING') => {
    health.setStatus('', state);
    for (const name of LLMR_SERVICES) health.setStatus(name, state);
  };

  return {
    server,
    listen({ port = 0, host = '127.0.0.1' } = {}) {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => {
          if (error) {
            reject(error);
            return;
          }
          setHealth('SERVING');
          resolve(bound);
        });
      });
    },
    async shutdown(deadlineMs = 10_000) {
      setHealth('NOT_SERVING');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, deadlineMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
