/**
 * A CacheStore on Redis through either npm client, `redis` (node-redis) or `ioredis`,
 * whichever is installed (both are optional peer dependencies, imported only when the
 * store is first used). Pass `client` to reuse a connection you manage.
 */
import { LlmrError } from '@llmr/core';
import type { CacheStore } from './cache-store';

export interface RedisCacheStoreOptions {
  /** `redis://host:port/db`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** A node-redis (connected) or ioredis client; the store will not close it. */
  client?: unknown;
  /** Which client library to import; default: `redis`, then `ioredis`. */
  library?: 'redis' | 'ioredis';
  /** Every key starts with this. Default `llmr:cache:`. */
  keyPrefix?: string;
}

/** The one primitive both clients share: a raw command. */
type RawCommand = (args: string[]) => Promise<unknown>;

function commandOf(client: unknown): RawCommand {
  const candidate = client as {
    sendCommand?: (args: string[]) => Promise<unknown>;
    call?: (...args: string[]) => Promise<unknown>;
  };
  if (typeof candidate.call === 'function') return (args) => candidate.call!(...args);
  if (typeof candidate.sendCommand === 'function') return (args) => candidate.sendCommand!(args);
  throw new LlmrError({
    code: 'invalid-argument',
    message:
      'The Redis client must be a node-redis client (sendCommand) or an ioredis client (call).',
  });
}

async function importClient(
  library: string,
  url: string,
): Promise<{ client: unknown; close: () => Promise<void> }> {
  // A variable specifier keeps bundlers and the type checker from requiring the package.
  const specifier = library;
  const imported = (await import(specifier)) as Record<string, unknown> & {
    default?: Record<string, unknown>;
  };
  if (library === 'redis') {
    const createClient = (imported.createClient ?? imported.default?.createClient) as (
      options: object,
    ) => {
      connect(): Promise<unknown>;
      on(event: string, listener: (error: unknown) => void): void;
      close?: () => Promise<void>;
      quit?: () => Promise<unknown>;
    };
    // A few quick reconnects, then give up: a cache must never hold requests hostage.
    const client = createClient({
      url,
      socket: {
        connectTimeout: 2_000,
        reconnectStrategy: (retries: number, cause: Error) =>
          retries >= 3 ? cause : 50 * 2 ** retries,
      },
    });
    client.on('error', () => {}); // Reported through failed commands instead.
    await client.connect();
    return { client, close: async () => void (await (client.close?.() ?? client.quit?.())) };
  }
  const Redis = (imported.default ?? imported.Redis) as new (
    url: string,
    options: object,
  ) => {
    connect(): Promise<void>;
    quit(): Promise<unknown>;
    on(event: string, listener: (error: unknown) => void): void;
  };
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => (times > 3 ? null : 50 * 2 ** times),
  });
  client.on('error', () => {});
  await client.connect();
  return { client, close: async () => void (await client.quit()) };
}

export function createRedisCacheStore(options: RedisCacheStoreOptions = {}): CacheStore {
  const prefix = options.keyPrefix ?? 'llmr:cache:';
  const url = options.url ?? 'redis://127.0.0.1:6379';
  let connection: Promise<{ command: RawCommand; close?: () => Promise<void> }> | undefined;

  const connect = () => {
    connection ??= (async () => {
      if (options.client) return { command: commandOf(options.client) };
      const libraries = options.library ? [options.library] : ['redis', 'ioredis'];
      const failures: string[] = [];
      for (const library of libraries) {
        try {
          const { client, close } = await importClient(library, url);
          return { command: commandOf(client), close };
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
            failures.push(`${library}: not installed`);
            continue;
          }
          throw new LlmrError({
            code: 'cache-store-unavailable',
            isRetryable: true,
            message: `Could not connect to Redis at ${url} with ${library}: ${(error as Error).message}`,
            cause: error,
          });
        }
      }
      throw new LlmrError({
        code: 'missing-dependency',
        message: `The Redis cache store needs the \`redis\` or \`ioredis\` package (${failures.join('; ')}). Install one: pnpm add redis`,
      });
    })();
    // A failed connection is retried on the next use rather than cached forever.
    connection.catch(() => {
      connection = undefined;
    });
    return connection;
  };

  /** Runs a command; a failed one drops a connection the store owns, so the next use reconnects. */
  const run = async (args: string[]) => {
    const current = connect();
    const { command, close } = await current;
    try {
      return await command(args);
    } catch (error) {
      if (close && connection === current) {
        connection = undefined;
        void close().catch(() => {});
      }
      throw error;
    }
  };

  return {
    name: 'redis',
    async get(key) {
      const value = await run(['GET', prefix + key]);
      return value == null ? undefined : String(value);
    },
    async set(key, value, ttlMs) {
      await run(['SET', prefix + key, value, 'PX', String(Math.max(1, Math.round(ttlMs)))]);
    },
    async delete(key) {
      await run(['DEL', prefix + key]);
    },
    async clear() {
      const command = run;
      let cursor = '0';
      do {
        const reply = (await command(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '200'])) as [
          string,
          string[],
        ];
        cursor = String(reply[0]);
        if (reply[1].length > 0) await command(['DEL', ...reply[1]]);
      } while (cursor !== '0');
    },
    async close() {
      const current = connection;
      connection = undefined;
      if (current) await (await current.catch(() => undefined))?.close?.();
    },
  };
}
