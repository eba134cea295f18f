/**
 * Experiment state in Redis, so every replica counts into the same variants and sees the
 * same status: a hash of counters per variant (HINCRBYFLOAT), and a hash per experiment
 * with the looks taken and the status. A status change is one script, so a stop recorded
 * by one replica is never overwritten by another's. The commands of one exchange go out
 * together (node-redis pipelines them): one round trip. Keys do not expire: an
 * experiment's numbers are kept until someone deletes them.
 */
import {
  hashEntries,
  type RedisCommandClient,
  RedisConnection,
  type RedisConnectionOptions,
} from '../redis/redis-connection';
import type {
  ExperimentExchange,
  ExperimentSnapshot,
  ExperimentStatusRecord,
  ExperimentStore,
  VariantCounters,
} from './experiment-store';

export interface RedisExperimentStoreOptions extends RedisConnectionOptions {
  /** Every key starts with this; default `llmr:experiments:`. */
  keyPrefix?: string;
}

// Nothing replaces a stop; a draft never replaces a recorded status (see statusMayReplace).
const SET_STATUS = `
local current = redis.call('HGET', KEYS[1], 'status')
if current == 'stopped' then return 0 end
if ARGV[1] == 'draft' and current then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'stoppedReason', ARGV[2], 'promoted', ARGV[3])
return 1`;

export class RedisExperimentStore implements ExperimentStore {
  private readonly prefix: string;
  private readonly connection: RedisConnection;

  constructor(options: RedisExperimentStoreOptions = {}) {
    this.prefix = options.keyPrefix ?? 'llmr:experiments:';
    this.connection = new RedisConnection(
      options,
      'experiment store',
      'experiment-store-unavailable',
    );
  }

  async exchange(experimentId: string, update: ExperimentExchange): Promise<ExperimentSnapshot> {
    const client: RedisCommandClient = await this.connection.client();
    const meta = `${this.prefix}${experimentId}`;
    const variantKey = (variant: string) => `${meta}:variant:${variant}`;
    const writes: Promise<unknown>[] = [];
    for (const [variant, counters] of Object.entries(update.counters)) {
      for (const [name, by] of Object.entries(counters)) {
        if (by !== 0)
          writes.push(client.sendCommand(['HINCRBYFLOAT', variantKey(variant), name, String(by)]));
      }
    }
    if (update.looks !== 0)
      writes.push(client.sendCommand(['HINCRBY', meta, 'looks', String(update.looks)]));
    if (update.status) {
      writes.push(
        client.sendCommand([
          'EVAL',
          SET_STATUS,
          '1',
          meta,
          update.status.status,
          update.status.stoppedReason ?? '',
          update.status.promoted ?? '',
        ]),
      );
    }
    // Sent after the writes on the same connection, so the totals include them.
    const reads = Promise.all([
      client.sendCommand(['HGETALL', meta]),
      ...update.variants.map((variant) => client.sendCommand(['HGETALL', variantKey(variant)])),
    ]);
    await Promise.all(writes);
    const [metaReply, ...variantReplies] = await reads;
    const fields = Object.fromEntries(
      hashEntries(metaReply).map(([key, value]) => [key, String(value)]),
    );
    const counters: Record<string, VariantCounters> = {};
    update.variants.forEach((variant, index) => {
      counters[variant] = Object.fromEntries(
        hashEntries(variantReplies[index]).map(([name, value]) => [name, Number(value)]),
      );
    });
    const status: ExperimentStatusRecord | undefined = fields.status
      ? {
          status: fields.status as ExperimentStatusRecord['status'],
          ...(fields.stoppedReason ? { stoppedReason: fields.stoppedReason } : {}),
          ...(fields.promoted ? { promoted: fields.promoted } : {}),
        }
      : undefined;
    return { counters, looks: Number(fields.looks ?? 0), status };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
