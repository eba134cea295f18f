/**
 * The append-only, tamper-evident audit log. Each record carries the hash of the one
 * before it, and its own hash covers its fields and that link, so changing, removing,
 * adding or moving any record breaks the chain where it happened. Appends lock the
 * chain's head row, so writers on any number of replicas take turns and the chain never
 * forks. Prompt and completion text is kept only for tenants that opted in.
 */
import { createHash } from 'node:crypto';
import type { SqlDatabase, SqlQueryable } from './database/sql-database';

export interface AuditEntry {
  /** `request` for API calls; `admin.<noun>.<verb>` for admin actions; `alert.budget` for soft budgets. */
  action: string;
  keyId?: string;
  tenantId?: string;
  route?: string;
  /** The model that answered. */
  model?: string;
  /** Every model tried, in order (fallbacks included). */
  modelsTried?: string[];
  inputTokens?: number;
  outputTokens?: number;
  costMicroUsd?: number;
  status?: number;
  latencyMs?: number;
  clientIp?: string;
  /** Prompt and completion; stored only when the caller's tenant opted in. */
  content?: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  atMs: number;
  action: string;
  keyId: string | null;
  tenantId: string | null;
  route: string | null;
  model: string | null;
  modelsTried: string[] | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costMicroUsd: number | null;
  status: number | null;
  latencyMs: number | null;
  clientIp: string | null;
  content: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export type AuditProblemKind = 'edited' | 'deleted' | 'inserted' | 'reordered';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The record the problem shows at. */
  seq: number;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  /** The last record's hash: keep it elsewhere to detect a rewrite of the whole log. */
  headHash: string;
  problems: AuditProblem[];
}

interface AuditRow {
  seq: number;
  at_ms: number;
  action: string;
  key_id: string | null;
  tenant_id: string | null;
  route: string | null;
  model: string | null;
  models_tried: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_micro_usd: number | null;
  status: number | null;
  latency_ms: number | null;
  client_ip: string | null;
  content: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

const COLUMNS =
  'seq, at_ms, action, key_id, tenant_id, route, model, models_tried, input_tokens, output_tokens, cost_micro_usd, status, latency_ms, client_ip, content, details, prev_hash, hash';
const PAGE = 1000;

/**
 * The hash covers every stored field but the sequence number: the order is the chain's,
 * so a record moved elsewhere still verifies on its own and shows as moved, not edited.
 */
function hashRow(row: Omit<AuditRow, 'seq' | 'hash'>): string {
  const fields = [
    row.prev_hash,
    numberOrNull(row.at_ms),
    row.action,
    row.key_id,
    row.tenant_id,
    row.route,
    row.model,
    row.models_tried,
    numberOrNull(row.input_tokens),
    numberOrNull(row.output_tokens),
    numberOrNull(row.cost_micro_usd),
    numberOrNull(row.status),
    numberOrNull(row.latency_ms),
    row.client_ip,
    row.content,
    row.details,
  ];
  return createHash('sha256').update(JSON.stringify(fields), 'utf8').digest('hex');
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    atMs: Number(row.at_ms),
    action: row.action,
    keyId: row.key_id,
    tenantId: row.tenant_id,
    route: row.route,
    model: row.model,
    modelsTried: row.models_tried === null ? null : (JSON.parse(row.models_tried) as string[]),
    inputTokens: numberOrNull(row.input_tokens),
    outputTokens: numberOrNull(row.output_tokens),
    costMicroUsd: numberOrNull(row.cost_micro_usd),
    status: numberOrNull(row.status),
    latencyMs: numberOrNull(row.latency_ms),
    clientIp: row.client_ip,
    content: row.content,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export class AuditLog {
  constructor(
    private readonly database: SqlDatabase,
    private readonly now: () => number,
  ) {}

  /** Appends one record; resolves once it is committed. */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    return this.database.transaction((tx) => this.appendIn(tx, entry));
  }

  /** Appends inside a caller's transaction (so an admin change and its record commit together). */
  async appendIn(tx: SqlQueryable, entry: AuditEntry): Promise<AuditRecord> {
    const [head] = await tx.query<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM gateway_audit_head WHERE id = 1 FOR UPDATE',
    );
    if (!head)
      throw new Error('The audit head row is missing; the gateway schema was not migrated.');
    const body: Omit<AuditRow, 'seq' | 'hash'> = {
      at_ms: this.now(),
      action: entry.action,
      key_id: entry.keyId ?? null,
      tenant_id: entry.tenantId ?? null,
      route: entry.route ?? null,
      model: entry.model ?? null,
      models_tried: entry.modelsTried ? JSON.stringify(entry.modelsTried) : null,
      input_tokens: entry.inputTokens ?? null,
      output_tokens: entry.outputTokens ?? null,
      cost_micro_usd: entry.costMicroUsd ?? null,
      status: entry.status ?? null,
      latency_ms: entry.latencyMs === undefined ? null : Math.round(entry.latencyMs),
      client_ip: entry.clientIp ?? null,
      content: entry.content ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
      prev_hash: head.hash,
    };
    const row: AuditRow = { ...body, seq: Number(head.seq) + 1, hash: hashRow(body) };
    await tx.query(
      `INSERT INTO gateway_audit (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
      [
        row.seq,
        row.at_ms,
        row.action,
        row.key_id,
        row.tenant_id,
        row.route,
        row.model,
        row.models_tried,
        row.input_tokens,
        row.output_tokens,
        row.cost_micro_usd,
        row.status,
        row.latency_ms,
        row.client_ip,
        row.content,
        row.details,
        row.prev_hash,
        row.hash,
      ],
    );
    await tx.query('UPDATE gateway_audit_head SET seq = $1, hash = $2 WHERE id = 1', [
      row.seq,
      row.hash,
    ]);
    return toRecord(row);
  }

  /** Records in order, a page at a time. */
  async *records(
    options: { fromMs?: number; toMs?: number; tenantId?: string } = {},
  ): AsyncGenerator<AuditRecord> {
    let after = 0;
    for (;;) {
      const rows = await this.database.query<AuditRow>(
        `SELECT ${COLUMNS} FROM gateway_audit WHERE seq > $1
           AND ($2::bigint IS NULL OR at_ms >= $2) AND ($3::bigint IS NULL OR at_ms < $3)
           AND ($4::text IS NULL OR tenant_id = $4)
         ORDER BY seq LIMIT ${PAGE}`,
        [after, options.fromMs ?? null, options.toMs ?? null, options.tenantId ?? null],
      );
      for (const row of rows) yield toRecord(row);
      if (rows.length < PAGE) return;
      after = Number(rows[rows.length - 1]?.seq);
    }
  }

  async list(
    options: { fromMs?: number; toMs?: number; tenantId?: string; limit?: number } = {},
  ): Promise<AuditRecord[]> {
    const limit = options.limit ?? 100;
    const out: AuditRecord[] = [];
    for await (const record of this.records(options)) {
      out.push(record);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** One JSON object per line, in chain order, with hashes, for archiving and offline checks. */
  async *exportJsonLines(
    options: { fromMs?: number; toMs?: number; tenantId?: string } = {},
  ): AsyncGenerator<string> {
    for await (const record of this.records(options)) yield `${JSON.stringify(record)}\n`;
  }

  /**
   * Walks the whole chain and says which records were edited, deleted, inserted or moved.
   * `source` reads through another connection or transaction.
   */
  async verify(source: SqlQueryable = this.database): Promise<AuditVerification> {
    const rows: AuditRow[] = [];
    let after = 0;
    for (;;) {
      const page = await source.query<AuditRow>(
        `SELECT ${COLUMNS} FROM gateway_audit WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}`,
        [after],
      );
      rows.push(...page);
      if (page.length < PAGE) break;
      after = Number(page[page.length - 1]?.seq);
    }
    const [head] = await source.query<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM gateway_audit_head WHERE id = 1',
    );
    return verifyRows(rows, head ? { seq: Number(head.seq), hash: head.hash } : undefined);
  }
}

export function verifyRows(
  rows: readonly AuditRow[],
  head: { seq: number; hash: string } | undefined,
): AuditVerification {
  const problems: AuditProblem[] = [];
  const indexByHash = new Map<string, number>();
  const linkedTo = new Set<string>();
  rows.forEach((row, index) => {
    indexByHash.set(row.hash, index);
    linkedTo.add(row.prev_hash);
  });
  let previousHash = '';
  let expectedSeq = 1;
  rows.forEach((row, index) => {
    const seq = Number(row.seq);
    if (hashRow(row) !== row.hash) {
      problems.push({
        kind: 'edited',
        seq,
        message: `Record ${seq} was edited: its content no longer matches its hash.`,
      });
    }
    const gap = seq > expectedSeq;
    if (gap) {
      const missing = seq - 1 === expectedSeq ? `${expectedSeq}` : `${expectedSeq}-${seq - 1}`;
      problems.push({
        kind: 'deleted',
        seq,
        message: `Record(s) ${missing} were deleted (missing before record ${seq}).`,
      });
    }
    if (row.prev_hash !== previousHash) {
      const linked = indexByHash.get(row.prev_hash);
      const previous = rows[index - 1];
      if (linked === undefined) {
        if (!gap && previous) {
          problems.push({
            kind: hashRow(previous) === previous.hash ? 'deleted' : 'edited',
            seq,
            message: `The chain breaks before record ${seq}: the record it follows is gone, or record ${Number(previous.seq)} was edited and re-hashed.`,
          });
        } else if (!gap) {
          problems.push({
            kind: 'deleted',
            seq,
            message: `Record(s) before record ${seq}, the first left, were deleted.`,
          });
        }
      } else if (linked === index - 2 && previous && !linkedTo.has(previous.hash)) {
        problems.push({
          kind: 'inserted',
          seq: Number(previous.seq),
          message: `Record ${Number(previous.seq)} was inserted: no record follows it in the chain, and record ${seq} links past it.`,
        });
      } else {
        const linkedRow = rows[linked] as AuditRow;
        problems.push({
          kind: 'reordered',
          seq,
          message: `Record ${seq} is out of order: it follows record ${Number(linkedRow.seq)} in the chain, not the one stored before it.`,
        });
      }
    }
    previousHash = row.hash;
    expectedSeq = seq + 1;
  });
  const last = rows[rows.length - 1];
  if (head && head.seq > 0) {
    const lastSeq = last ? Number(last.seq) : 0;
    if (head.seq > lastSeq) {
      problems.push({
        kind: 'deleted',
        seq: lastSeq + 1,
        message: `The last record(s) ${lastSeq + 1}-${head.seq} were deleted (the chain's head says ${head.seq} records).`,
      });
    } else if (head.seq === lastSeq && last && head.hash !== last.hash) {
      problems.push({
        kind: 'edited',
        seq: lastSeq,
        message: `Record ${lastSeq} was replaced: its hash differs from the chain's head.`,
      });
    } else if (head.seq < lastSeq) {
      problems.push({
        kind: 'inserted',
        seq: head.seq + 1,
        message: `Record(s) ${head.seq + 1}-${lastSeq} were added after the chain's head, not by the gateway.`,
      });
    }
  }
  return { ok: problems.length === 0, records: rows.length, headHash: last?.hash ?? '', problems };
}
