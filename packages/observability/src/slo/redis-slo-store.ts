/**
 * SLO buckets in Redis, so every replica counts into one set of buckets and reports the
 * same budget and burn rates. A bucket is a hash (HINCRBY per field) that expires with
 * PEXPIRE; series names are a set. Commands go out together and node-redis pipelines
 * them, so reading a 6 h window of minute buckets is one round trip, not 360.
 */
import {
  hashEntries,
  type RedisCommandClient,
  RedisConnection,
  type RedisConnectionOptions,
} from '../redis/redis-connection';
import type { SloBucketUpdate, SloStore } from './slo-store';

export type { RedisCommandClient } from '../redis/redis-connection';

export interface RedisSloStoreOptions extends RedisConnectionOptions {
  /** Every key starts with this; default `llmr:slo:`. */
  keyPrefix?: string;
}

export class RedisSloStore implements SloStore {
  private readonly prefix: string;
  private readonly connection: RedisConnection;

  constructor(options: RedisSloStoreOptions = {}) {
    this.prefix = options.keyPrefix ?? 'llmr:slo:';
    this.connection = new RedisConnection(options, 'SLO store', 'slo-store-unavailable');
  }

  private client(): Promise<RedisCommandClient> {
    return this.connection.client();
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
      const entries = hashEntries(reply);
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
    await this.connection.close();
  }
}
