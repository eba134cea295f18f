/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) on a directory, or in
 * memory. Needs no server and installs from npm without downloads. One process may open a
 * directory at a time; replicas that share state use PostgreSQL. On a directory, commits
 * are fsynced (see durable-node-fs.ts) unless `durable: false`.
 */
import { lockDirectory } from './directory-lock';
import { DurableNodeFS, durableStartParams } from './durable-node-fs';
import type { SqlDatabase, SqlQueryable } from './sql-database';

export interface PgliteDatabaseOptions {
  /** A directory to keep the data in; in memory when omitted. */
  dataDir?: string;
  /**
   * Sync each commit to disk before acknowledging it, so it survives a power cut as well
   * as a killed process (default true). `false` trades that for faster writes: PGlite's
   * own setting, where acknowledged writes survive a killed process only.
   */
  durable?: boolean;
}

export async function openPgliteDatabase(
  options: PgliteDatabaseOptions = {},
): Promise<SqlDatabase> {
  const { PGlite } = await import('@electric-sql/pglite');
  const unlock = options.dataDir === undefined ? () => {} : lockDirectory(options.dataDir);
  const durable = options.dataDir !== undefined && options.durable !== false;
  const pglite = durable
    ? new PGlite({
        fs: new DurableNodeFS(options.dataDir as string),
        startParams: durableStartParams(
          (PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams,
        ),
      })
    : new PGlite(options.dataDir);
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
