/**
 * One lazily opened node-redis connection for the Redis stores (SLO buckets, experiment
 * counters, quality ratings): `redis` is an optional peer dependency, loaded on first use,
 * and a store given a connected client uses it and never closes it.
 */
import { importOptional, ObservabilityError } from '../errors';

/** The one call the stores need: node-redis's `sendCommand`. */
export interface RedisCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface RedisConnectionOptions {
  /** `redis://host:port/db`; used when no `client` is given. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** A connected node-redis client; the store will not close it. */
  client?: RedisCommandClient;
}

interface OwnedClient extends RedisCommandClient {
  connect(): Promise<unknown>;
  close?: () => Promise<unknown>;
  quit?: () => Promise<unknown>;
  on(event: string, listener: (error: unknown) => void): void;
}

export class RedisConnection {
  private connection: Promise<RedisCommandClient> | undefined;
  private owned: OwnedClient | undefined;

  /** `purpose` names the store in errors ("the SLO store"); `code` is the error's code. */
  constructor(
    private readonly options: RedisConnectionOptions,
    private readonly purpose: string,
    private readonly code: string,
  ) {}

  client(): Promise<RedisCommandClient> {
    if (this.options.client) return Promise.resolve(this.options.client);
    this.connection ??= (async () => {
      const url = this.options.url ?? 'redis://127.0.0.1:6379';
      const redis = await importOptional<{ createClient(options: object): OwnedClient }>(
        'redis',
        `The Redis ${this.purpose}`,
      );
      // A few quick reconnects, then fail: observability must not hold requests while Redis is down.
      const client = redis.createClient({
        url,
        socket: {
          connectTimeout: 2_000,
          reconnectStrategy: (retries: number, cause: Error) =>
            retries >= 2 ? cause : 100 * 2 ** retries,
        },
      });
      client.on('error', () => {}); // Failed commands report it.
      try {
        await client.connect();
      } catch (error) {
        throw new ObservabilityError({
          code: this.code,
          isRetryable: true,
          message: `Could not connect to Redis at ${url} for the ${this.purpose}: ${(error as Error).message}. Check the URL and that Redis is running.`,
          cause: error,
        });
      }
      this.owned = client;
      return client;
    })();
    this.connection.catch(() => {
      this.connection = undefined;
    });
    return this.connection;
  }

  async close(): Promise<void> {
    const owned = this.owned;
    this.owned = undefined;
    this.connection = undefined;
    if (owned) await (owned.close?.() ?? owned.quit?.());
  }
}

/** A hash reply as field/value pairs: RESP2 answers a flat [field, value, ...] list, RESP3 a map. */
export function hashEntries(reply: unknown): [string, unknown][] {
  return Array.isArray(reply)
    ? Array.from({ length: reply.length / 2 }, (_, index) => [
        String(reply[index * 2]),
        reply[index * 2 + 1],
      ])
    : Object.entries((reply ?? {}) as Record<string, unknown>);
}
