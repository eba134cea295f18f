/**
 * Quality ratings in a Redis stream: XADD with an approximate MAXLEN bounds it, and XRANGE
 * from the last id seen reads what other replicas added (ids survive trimming, offsets
 * would not).
 */
import { RedisConnection, type RedisConnectionOptions } from '../redis/redis-connection';
import type { QualityRating, QualityRatingsPage, QualityStore } from './quality-store';

export interface RedisQualityStoreOptions extends RedisConnectionOptions {
  /** The stream's key; default `llmr:quality:ratings`. */
  key?: string;
  /** Ratings kept (about); default 100,000. */
  maxRatings?: number;
}

export class RedisQualityStore implements QualityStore {
  private readonly key: string;
  private readonly connection: RedisConnection;

  constructor(private readonly options: RedisQualityStoreOptions = {}) {
    this.key = options.key ?? 'llmr:quality:ratings';
    this.connection = new RedisConnection(options, 'quality store', 'quality-store-unavailable');
  }

  async append(ratings: readonly QualityRating[]): Promise<void> {
    if (ratings.length === 0) return;
    const client = await this.connection.client();
    const maxLength = String(this.options.maxRatings ?? 100_000);
    await Promise.all(
      ratings.map((rating) =>
        client.sendCommand([
          'XADD',
          this.key,
          'MAXLEN',
          '~',
          maxLength,
          '*',
          'model',
          rating.model,
          'score',
          String(rating.score),
          'at',
          String(rating.at),
          'origin',
          rating.origin,
          ...(rating.taskTag ? ['taskTag', rating.taskTag] : []),
        ]),
      ),
    );
  }

  async readSince(cursor: string | undefined, limit: number): Promise<QualityRatingsPage> {
    const client = await this.connection.client();
    const reply = (await client.sendCommand([
      'XRANGE',
      this.key,
      cursor === undefined ? '-' : `(${cursor}`,
      '+',
      'COUNT',
      String(limit),
    ])) as [string, string[]][] | null;
    const entries = reply ?? [];
    const ratings = entries.map(([, fields]) => {
      const record: Record<string, string> = {};
      for (let index = 0; index + 1 < fields.length; index += 2)
        record[String(fields[index])] = String(fields[index + 1]);
      return {
        model: record.model ?? '',
        score: Number(record.score),
        at: Number(record.at),
        origin: record.origin ?? '',
        ...(record.taskTag ? { taskTag: record.taskTag } : {}),
      };
    });
    return { ratings, cursor: entries.length > 0 ? String(entries.at(-1)![0]) : cursor };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
