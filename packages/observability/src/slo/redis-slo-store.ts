/**
 * SLO buckets in Redis, so every replica counts into one set of buckets and reports the
 * same budget and burn rates. A bucket is a hash (HINCRBY per field) that expires with
 * PEXPIRE; series names are a set. Commands go out together and node-redis pipelines
 * them, so reading a 6 h window of minute buckets is one round trip, not 360.
 */
import { importOptional, ObservabilityError } from '../errors';
import type { SloBucketUpdate, SloStore } from './slo-store';

/** The one call the store needs: node-redis's `sendCommand`. */
export interface RedisCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface RedisSloStoreOptions {
  /** `redis://host:port/db`; used when no `client` is given. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** A connected node-redis client; the store will not close it. */
  client?: RedisCommandClient;
  /** Every key starts with this; default `llmr:slo:`. */
  keyPrefix?: string;
}

interface OwnedClient extends RedisCommandClient {
  connect(): Promise<unknown>;
  close?: () => Promise<unknown>;
  quit?: () => Promise<unknown>;
  on(event: string, listener: (error: unknown) => void): void;
}

export class RedisSloStore implements SloStore {
  private readonly prefix: string;
  private connection: Promise<RedisCommandClient> | undefined;
  private owned: OwnedClient | undefined;

  constructor(private readonly options: RedisSloStoreOptions = {}) {
    this.prefix = options.keyPrefix ?? 'llmr:slo:';
  }

  private client(): Promise<RedisCommandClient> {
    if (this.options.client) return Promise.resolve(this.options.client);
    this.connection ??= (async () => {
      const url = this.options.url ?? 'redis://127.0.0.1:6379';
      const redis = await importOptional<{ createClient(options: object): OwnedClient }>(
        'redis',
        'The Redis SLO store',
      );
      // A few quick reconnects, then fail: a monitor must not hold requests while Redis is down.
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
          code: 'slo-store-unavailable',
          isRetryable: true,
          message: `Could not connect to Redis at ${url} for the SLO store: ${(error as Error).message}. Check the URL and that Redis is running.`,
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

  async add(updates: readonly SloBucketUpdate[], now: number): Promise<void> {
    const client = await this.client();
    const commands: Promise<unknown>[] = [];
    for (const update of updates) {
      const key = this.prefix + update.key;
      for (const [field, by] of Object.entries(update.fields)) {
        if (by !== 0) commands.push(client.sendCommand(['HINCRBY', key, field, String(by)]));
      }
      // A time to live, not an absolute expiry: the monitor's clock may not be Redis's.
      const ttl = Math.max(1, Math.ceil(update.expiresAt - now));
      commands.push(client.sendCommand(['PEXPIRE', key, String(ttl)]));
    }
    await Promise.all(commands);
  }

  async read(keys: readonly string[]) {
    const client = await this.client();
    const replies = await Promise.all(
      keys.map((key) => client.sendCommand(['HGETALL', this.prefix + key])),
    );
    return replies.map((reply) => {
      // RESP2 answers a flat [field, value, ...] list; RESP3 a map.
      const entries: [string, unknown][] = Array.isArray(reply)
        ? Array.from({ length: reply.length / 2 }, (_, index) => [
            String(reply[index * 2]),
            reply[index * 2 + 1],
          ])
        : Object.entries((reply ?? {}) as Record<string, unknown>);
      if (entries.length === 0) return undefined;
      return Object.fromEntries(entries.map(([field, value]) => [field, Number(value)]));
    });
  }

  async addSeries(series: string): Promise<void> {
    await (await this.client()).sendCommand(['SADD', `${this.prefix}series`, series]);
  }

  async listSeries(): Promise<string[]> {
    const reply = await (await this.client()).sendCommand(['SMEMBERS', `${this.prefix}series`]);
    return [...((reply ?? []) as Iterable<unknown>)].map(String);
  }

  async close(): Promise<void> {
    const owned = this.owned;
    this.owned = undefined;
    this.connection = undefined;
    if (owned) await (owned.close?.() ?? owned.quit?.());
  }
}
