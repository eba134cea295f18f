/**
 * One string names a gateway database: `pglite:<dir>` (embedded, on a directory),
 * `pglite:memory` (embedded, gone on exit) or `postgres://...` / `postgresql://...`.
 */
import { InvalidArgumentError } from '@llmr/core';
import { openPgliteDatabase } from './pglite-database';
import { openPostgresDatabase } from './postgres-database';
import type { SqlDatabase } from './sql-database';

export type DatabaseLocation =
  | { engine: 'pglite'; dataDir?: string }
  | { engine: 'postgres'; connectionString: string };

export function parseDatabaseUrl(url: string): DatabaseLocation {
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed))
    return { engine: 'postgres', connectionString: trimmed };
  if (/^pglite:/i.test(trimmed)) {
    const rest = trimmed.slice('pglite:'.length).replace(/^\/\/(?=\/)/, '');
    if (rest === '' || rest === 'memory' || rest === 'memory://') return { engine: 'pglite' };
    return { engine: 'pglite', dataDir: rest };
  }
  throw new InvalidArgumentError({
    argument: 'database',
    value: url,
    message: `Unknown gateway database "${url}". Use "pglite:<directory>" (embedded), "pglite:memory", or a "postgres://user:password@host:port/database" URL.`,
  });
}

export function openDatabase(url: string): Promise<SqlDatabase> {
  const location = parseDatabaseUrl(url);
  return location.engine === 'postgres'
    ? openPostgresDatabase({ connectionString: location.connectionString })
    : openPgliteDatabase(location.dataDir === undefined ? {} : { dataDir: location.dataDir });
}
