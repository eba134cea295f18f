/**
 * PostgreSQL through `pg` (an optional peer dependency, imported on first use), for
 * gateways with several replicas sharing one database.
 */
import { LlmrError } from '@llmr/core';
import type { SqlDatabase, SqlQueryable } from './sql-database';

export interface PostgresDatabaseOptions {
  /** A `postgres://` or `postgresql://` connection string. */
  connectionString: string;
  /** Pool size; 10 by default. */
  maxConnections?: number;
}

type PgModule = typeof import('pg');

async function loadPg(): Promise<PgModule> {
  try {
    const module = (await import('pg')) as PgModule & { default?: PgModule };
    return module.default ?? module;
  } catch (error) {
    throw new LlmrError({
      code: 'gateway-missing-dependency',
      message:
        'A postgres:// gateway database needs the "pg" package. Install it next to @llmr/gateway: npm install pg',
      cause: error,
    });
  }
}

export async function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<SqlDatabase> {
  const pg = await loadPg();
  // int8 (counts, micro-dollars, milliseconds) as numbers: the gateway's values stay far
  // below 2^53, and both engines then return the same JavaScript types.
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      oid === 20 || oid === 1700 ? Number : pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    types,
  });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw new LlmrError({
      code: 'gateway-database-unreachable',
      message: `Cannot connect to the gateway's PostgreSQL database (${redact(options.connectionString)}): ${(error as Error).message}. Check the URL and that the server is running.`,
      cause: error,
    });
  }
  const wrap = (target: { query: PgModule['Pool']['prototype']['query'] }): SqlQueryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await target.query(sql, [...params]);
      return result.rows as Row[];
    },
    async exec(sql: string) {
      // Without parameters pg uses the simple protocol, which runs several statements.
      await target.query(sql);
    },
  });
  const root = wrap(pool);
  return {
    engine: 'postgres',
    query: root.query,
    exec: root.exec,
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(
          wrap(client as unknown as { query: PgModule['Pool']['prototype']['query'] }),
        );
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** The URL without its password, for messages. */
export function redact(connectionString: string): string {
  return connectionString.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
