/**
 * Shares semantic-cache entries between replicas through Redis streams: each scope is a
 * stream, each new entry an XADD, and a replica reads what it has not seen with XRANGE
 * from its last id. Takes a raw command function (node-redis `client.sendCommand`, or
 * ioredis `(args) => client.call(...args)`), so this package needs no Redis client.
 */
import type { SemanticCacheShare } from './semantic-cache-stage';

export interface RedisSemanticShareOptions {
  command: (args: string[]) => Promise<unknown>;
  /** Default `llmr:semantic:`. */
  keyPrefix?: string;
  /** Entries kept per scope stream (approximately; Redis trims in blocks). Default 10,000. */
  maxEntriesPerScope?: number;
}

/** Reads are bounded: a replica far behind catches up a page at a time. */
const PAGE = 500;

export function createRedisSemanticShare(options: RedisSemanticShareOptions): SemanticCacheShare {
  const prefix = options.keyPrefix ?? 'llmr:semantic:';
  const maxEntries = options.maxEntriesPerScope ?? 10_000;
  return {
    async append(scope, entry) {
      await options.command([
        'XADD',
        prefix + scope,
        'MAXLEN',
        '~',
        String(maxEntries),
        '*',
        'entry',
        entry,
      ]);
    },
    async readSince(scope, cursor) {
      const start = cursor ? `(${cursor}` : '-';
      const reply = (await options.command([
        'XRANGE',
        prefix + scope,
        start,
        '+',
        'COUNT',
        String(PAGE),
      ])) as [string, string[]][];
      const entries: string[] = [];
      let last = cursor;
      for (const [id, fields] of reply) {
        last = id;
        const index = fields.indexOf('entry');
        if (index >= 0 && fields[index + 1] !== undefined) entries.push(fields[index + 1]!);
      }
      return { entries, cursor: last };
    },
  };
}
