/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) on a directory, or in
 * memory. Needs no server and installs from npm without downloads. One process may open a
 * directory at a time; replicas that share state use PostgreSQL.
 */
import { lockDirectory } from './directory-lock';
import type { SqlDatabase, SqlQueryable } from './sql-database';

export interface PgliteDatabaseOptions {
  /** A directory to keep the data in; in memory when omitted. */
  dataDir?: string;
}

export async function openPgliteDatabase(
  options: PgliteDatabaseOptions = {},
): Promise<SqlDatabase> {
  const { PGlite } = await import('@electric-sql/pglite');
  const unlock = options.dataDir === undefined ? () => {} : lockDirectory(options.dataDir);
  const pglite = new PGlite(options.dataDir);
  try {
    await pglite.waitReady;
  } catch (error) {
    unlock();
    throw error;
  }
  const wrap = (target: {
    query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;
    exec: (sql: string) => Promise<unknown>;
  }): SqlQueryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await target.query(sql, [...params]);
      return result.rows as Row[];
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  });
  const root = wrap(pglite);
  return {
    engine: 'pglite',
    query: root.query,
    exec: root.exec,
    // PGlite runs one statement at a time and holds its transaction mutex for the whole
    // callback, so transactions on one instance never interleave.
    transaction: (work) => pglite.transaction((tx) => work(wrap(tx))),
    async close() {
      try {
        await pglite.close();
      } finally {
        unlock();
      }
    },
  };
}
