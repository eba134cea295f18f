/**
 * The gateway's schema, as numbered migrations that run the same on PGlite and
 * PostgreSQL. A migration, once published, never changes: a change to the schema is a
 * new migration at the end of the list.
 *
 * Money is kept in micro-dollars (bigint), so budgets compare exactly; timestamps are
 * milliseconds since the epoch (bigint), so the audit chain hashes the same value that
 * every engine and driver reads back.
 */
import type { SqlDatabase } from './sql-database';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants-keys-usage-audit',
    sql: `
CREATE TABLE gateway_tenants (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  policy text NOT NULL,
  metadata text NOT NULL,
  store_content boolean NOT NULL DEFAULT false,
  created_ms bigint NOT NULL
);
CREATE TABLE gateway_keys (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES gateway_tenants(id),
  name text NOT NULL,
  hash text NOT NULL,
  scopes text NOT NULL,
  policy text NOT NULL,
  metadata text NOT NULL,
  created_ms bigint NOT NULL,
  expires_ms bigint,
  revoked_ms bigint
);
CREATE INDEX gateway_keys_tenant ON gateway_keys (tenant_id);
CREATE TABLE gateway_usage (
  id bigserial PRIMARY KEY,
  at_ms bigint NOT NULL,
  tenant_id text NOT NULL,
  key_id text NOT NULL,
  model text NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_micro_usd bigint NOT NULL,
  is_error boolean NOT NULL
);
CREATE INDEX gateway_usage_tenant_time ON gateway_usage (tenant_id, at_ms);
CREATE INDEX gateway_usage_key_time ON gateway_usage (key_id, at_ms);
CREATE TABLE gateway_audit (
  seq bigint PRIMARY KEY,
  at_ms bigint NOT NULL,
  action text NOT NULL,
  key_id text,
  tenant_id text,
  route text,
  model text,
  models_tried text,
  input_tokens bigint,
  output_tokens bigint,
  cost_micro_usd bigint,
  status integer,
  latency_ms bigint,
  client_ip text,
  content text,
  details text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
-- The chain's head, one row: appends lock it, so concurrent writers take turns and the
-- chain never forks; it also remembers the last record, so deleting the tail shows.
CREATE TABLE gateway_audit_head (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO gateway_audit_head (id, seq, hash) VALUES (1, 0, '');
`,
  },
];

/** Lock id for migrations (any constant; both engines take the same advisory lock). */
const MIGRATION_LOCK = 0x6c6c6d72;

/**
 * Brings the schema up to date. Replicas starting together take an advisory lock, so one
 * migrates and the others find the work done. Returns the versions applied.
 */
export async function migrate(
  database: SqlDatabase,
  list: readonly Migration[] = migrations,
): Promise<number[]> {
  return database.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_ms bigint NOT NULL)',
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    const done: number[] = [];
    for (const migration of [...list].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query(
        'INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)',
        [migration.version, migration.name, Date.now()],
      );
      done.push(migration.version);
    }
    return done;
  });
}
