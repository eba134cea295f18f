/**
 * The one interface the gateway's stores speak. Both engines take PostgreSQL SQL with
 * `$1` parameters, so every query is written once and runs on PGlite and PostgreSQL alike.
 */
export type SqlEngine = 'pglite' | 'postgres';

export interface SqlQueryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlDatabase extends SqlQueryable {
  readonly engine: SqlEngine;
  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
