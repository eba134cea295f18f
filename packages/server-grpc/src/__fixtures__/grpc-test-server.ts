/**
 * A REST server over a router of mock models with the gRPC server beside it (both on free
 * ports), and grpc-js clients built from the same .proto files; stopped after each test.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type Client,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Metadata,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createMockLoader } from '@llmr/loader-mock';
import { createRouter } from '@llmr/router';
import {
  createRouterBackend,
  createServer,
  type LlmrServer,
  type ServerOptions,
} from '@llmr/server';
import { afterEach } from 'vitest';
import { createGrpcServer, type LlmrGrpcServer } from '../create-grpc-server';
import { LLMR_PROTO_FILES, PROTO_LOADER_OPTIONS, protoRoot } from '../proto-files';

const running: { rest: LlmrServer; grpc: LlmrGrpcServer; clients: Client[] }[] = [];
afterEach(async () => {
  for (const { rest, grpc, clients } of running.splice(0)) {
    for (const client of clients) client.close();
    await Promise.all([grpc.shutdown(2000), rest.shutdown()]);
  }
});

function clientDefinitions(): GrpcObject {
  const require = createRequire(import.meta.url);
  const reflectionRoot = join(
    dirname(require.resolve('@grpc/reflection/package.json')),
    'build',
    'proto',
  );
  const healthRoot = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto');
  return loadPackageDefinition(
    loadSync(
      [...LLMR_PROTO_FILES, 'health/v1/health.proto', 'grpc/reflection/v1/reflection.proto'],
      {
        ...PROTO_LOADER_OPTIONS,
        includeDirs: [protoRoot(), healthRoot, reflectionRoot],
      },
    ),
  );
}

function lookup(root: GrpcObject, name: string): ServiceClientConstructor {
  let node: unknown = root;
  for (const part of name.split('.')) node = (node as Record<string, unknown>)[part];
  return node as ServiceClientConstructor;
}

// biome-ignore lint/suspicious/noExplicitAny: messages are checked field by field in the tests
export type Message = Record<string, any>;

export async function startGrpcServer(options: Partial<ServerOptions> = {}) {
  const router = createRouter({
    loaders: [createMockLoader()],
    models: [
      { id: 'echo', source: 'mock:echo' },
      { id: 'writer', source: 'mock:random?seed=5' },
      { id: 'slow', source: 'mock:random?tokenMs=20' },
      { id: 'flaky', source: 'mock:random?failAfterTokens=3' },
    ],
    retry: { maxRetries: 0 },
  });
  const backend = createRouterBackend(router, { defaultModel: 'echo' });
  await backend.preload();
  const rest = await createServer({ backend, logger: false, apiKeys: [], ...options });
  const grpc = createGrpcServer(rest.shared);
  const port = await grpc.listen({ port: 0 });
  const root = clientDefinitions();
  const clients: Client[] = [];
  const make = (name: string) => {
    const Constructor = lookup(root, name);
    const client = new Constructor(`127.0.0.1:${port}`, credentials.createInsecure());
    clients.push(client);
    // biome-ignore lint/suspicious/noExplicitAny: generated methods are looked up by name
    return client as any;
  };
  running.push({ rest, grpc, clients });
  return {
    rest,
    grpc,
    port,
    generation: make('llmr.v1.GenerationService'),
    embeddings: make('llmr.v1.EmbeddingService'),
    tokenizer: make('llmr.v1.TokenizerService'),
    models: make('llmr.v1.ModelService'),
    health: make('grpc.health.v1.Health'),
    reflection: make('grpc.reflection.v1.ServerReflection'),
  };
}

/** A unary call as a promise of its response and initial metadata. */
export function callUnary(
  // biome-ignore lint/suspicious/noExplicitAny: any generated unary method
  method: (...args: any[]) => any,
  client: Client,
  request: Message,
  metadata = new Metadata(),
  options: { deadline?: number } = {},
): Promise<{ response: Message; metadata: Metadata }> {
  return new Promise((resolve, reject) => {
    let initial = new Metadata();
    const call = method.call(
      client,
      request,
      metadata,
      options,
      (error: Error | null, response: Message) => {
        if (error) reject(error);
        else resolve({ response, metadata: initial });
      },
    );
    call.on('metadata', (received: Metadata) => {
      initial = received;
    });
  });
}

/** Every message of a server stream, and how it ended. */
export function collect(
  call: NodeJS.EventEmitter,
): Promise<{ messages: Message[]; error?: Error & { code?: number; metadata?: Metadata } }> {
  return new Promise((resolve) => {
    const messages: Message[] = [];
    call.on('data', (message: Message) => messages.push(message));
    call.on('error', (error: Error) => resolve({ messages, error }));
    call.on('end', () => resolve({ messages }));
  });
}

export function bearer(key: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return metadata;
}
