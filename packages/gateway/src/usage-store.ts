/**
 * Usage per request (tokens, cost, errors), summed per key, tenant and model over any
 * time range. Budgets read the same table, so every replica sees the same spend.
 */
import type { SqlDatabase, SqlQueryable } from './database/sql-database';

export interface UsageEntry {
  atMs: number;
  tenantId: string;
  keyId: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
  isError: boolean;
}

export interface UsageQuery {
  fromMs?: number;
  toMs?: number;
  tenantId?: string;
  keyId?: string;
  model?: string;
}

export interface UsageSummary {
  tenantId: string;
  keyId: string;
  model: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export class UsageStore {
  constructor(private readonly database: SqlDatabase) {}

  async record(entry: UsageEntry, tx: SqlQueryable = this.database): Promise<void> {
    await tx.query(
      'INSERT INTO gateway_usage (at_ms, tenant_id, key_id, model, input_tokens, output_tokens, cost_micro_usd, is_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        entry.atMs,
        entry.tenantId,
        entry.keyId,
        entry.model,
        entry.inputTokens,
        entry.outputTokens,
        entry.costMicroUsd,
        entry.isError,
      ],
    );
  }

  /** Sums per tenant, key and model; `fromMs` inclusive, `toMs` exclusive. */
  async query(query: UsageQuery = {}): Promise<UsageSummary[]> {
    const rows = await this.database.query<{
      tenant_id: string;
      key_id: string;
      model: string;
      requests: number;
      errors: number;
      input_tokens: number;
      output_tokens: number;
      cost_micro_usd: number;
    }>(
      `SELECT tenant_id, key_id, model, count(*)::bigint AS requests,
              count(*) FILTER (WHERE is_error)::bigint AS errors,
              coalesce(sum(input_tokens), 0)::bigint AS input_tokens,
              coalesce(sum(output_tokens), 0)::bigint AS output_tokens,
              coalesce(sum(cost_micro_usd), 0)::bigint AS cost_micro_usd
         FROM gateway_usage
        WHERE ($1::bigint IS NULL OR at_ms >= $1) AND ($2::bigint IS NULL OR at_ms < $2)
          AND ($3::text IS NULL OR tenant_id = $3) AND ($4::text IS NULL OR key_id = $4)
          AND ($5::text IS NULL OR model = $5)
        GROUP BY tenant_id, key_id, model
        ORDER BY tenant_id, key_id, model`,
      [
        query.fromMs ?? null,
        query.toMs ?? null,
        query.tenantId ?? null,
        query.keyId ?? null,
        query.model ?? null,
      ],
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      keyId: row.key_id,
      model: row.model,
      requests: Number(row.requests),
      errors: Number(row.errors),
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      costUsd: Number(row.cost_micro_usd) / 1e6,
    }));
  }

  /** Micro-dollars and tokens spent by a key or tenant since `fromMs`. */
  async spent(
    subject: 'key' | 'tenant',
    id: string,
    fromMs: number,
    tx: SqlQueryable = this.database,
  ): Promise<{ microUsd: number; tokens: number }> {
    const column = subject === 'key' ? 'key_id' : 'tenant_id';
    const [row] = await tx.query<{ micro_usd: number; tokens: number }>(
      `SELECT coalesce(sum(cost_micro_usd), 0)::bigint AS micro_usd,
              coalesce(sum(input_tokens + output_tokens), 0)::bigint AS tokens
         FROM gateway_usage WHERE ${column} = $1 AND at_ms >= $2`,
      [id, fromMs],
    );
    return { microUsd: Number(row?.micro_usd ?? 0), tokens: Number(row?.tokens ?? 0) };
  }
}
