/**
 * The audit chain's tamper checks, part of the engine suite: each kind of tampering is
 * done inside a transaction, verified through it, then rolled back, so the checks leave
 * the shared database as they found it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditVerification } from '../audit-log';
import type { SqlQueryable } from '../database/sql-database';
import type { Gateway } from '../gateway';

class Rollback extends Error {}

export function runAuditChainChecks(gatewayOf: () => Gateway, forgedAtMs: number): void {
  describe('audit chain verification', () => {
    let seqs: number[] = [];
    beforeAll(async () => {
      for (let index = 0; index < 5; index++)
        await gatewayOf().audit.append({ action: 'request', status: 200, details: { index } });
      seqs = (await gatewayOf().audit.list({ limit: 100_000 })).map((record) => record.seq);
    });

    /** Tampers inside a transaction, verifies through it, then rolls the tampering back. */
    async function tampered(
      tamper: (tx: SqlQueryable) => Promise<void>,
    ): Promise<AuditVerification> {
      let result: AuditVerification | undefined;
      await gatewayOf()
        .database.transaction(async (tx) => {
          await tamper(tx);
          result = await gatewayOf().audit.verify(tx);
          throw new Rollback();
        })
        .catch((error) => {
          if (!(error instanceof Rollback)) throw error;
        });
      return result as AuditVerification;
    }
    const at = (fromEnd: number) => seqs[seqs.length - fromEnd] as number;

    it('passes an untouched chain and exports it as JSON lines', async () => {
      const verification = await gatewayOf().audit.verify();
      expect(verification).toMatchObject({ ok: true, problems: [], records: seqs.length });
      const lines: string[] = [];
      for await (const line of gatewayOf().audit.exportJsonLines()) lines.push(line);
      expect(lines).toHaveLength(seqs.length);
      const last = JSON.parse(lines.at(-1) as string) as { hash: string; seq: number };
      expect(last).toMatchObject({ seq: at(1), hash: verification.headHash });
    });

    it('finds an edited record', async () => {
      const seq = at(3);
      const result = await tampered(async (tx) => {
        await tx.query('UPDATE gateway_audit SET output_tokens = 999 WHERE seq = $1', [seq]);
      });
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([expect.objectContaining({ kind: 'edited', seq })]);
    });

    it('finds a record edited and re-hashed', async () => {
      const seq = at(3);
      const result = await tampered(async (tx) => {
        await tx.query(
          "UPDATE gateway_audit SET hash = repeat('a', 64), status = 500 WHERE seq = $1",
          [seq],
        );
      });
      expect(result.problems.map((problem) => [problem.kind, problem.seq])).toEqual([
        ['edited', seq],
        ['edited', seq + 1],
      ]);
    });

    it('finds a deleted record', async () => {
      const seq = at(3);
      const result = await tampered(async (tx) => {
        await tx.query('DELETE FROM gateway_audit WHERE seq = $1', [seq]);
      });
      expect(result.problems).toContainEqual(
        expect.objectContaining({ kind: 'deleted', seq: seq + 1 }),
      );
      expect(result.problems[0]?.message).toContain(`Record(s) ${seq} were deleted`);
    });

    it('finds a deleted last record', async () => {
      const result = await tampered(async (tx) => {
        await tx.query('DELETE FROM gateway_audit WHERE seq = $1', [at(1)]);
      });
      expect(result.problems).toEqual([expect.objectContaining({ kind: 'deleted', seq: at(1) })]);
    });

    it('finds reordered records', async () => {
      const [first, second] = [at(4), at(3)];
      const result = await tampered(async (tx) => {
        await tx.query('UPDATE gateway_audit SET seq = -1 WHERE seq = $1', [first]);
        await tx.query('UPDATE gateway_audit SET seq = $1 WHERE seq = $2', [first, second]);
        await tx.query('UPDATE gateway_audit SET seq = $1 WHERE seq = -1', [second]);
      });
      expect(result.ok).toBe(false);
      const reordered = result.problems
        .filter((problem) => problem.kind === 'reordered')
        .map((problem) => problem.seq);
      expect(reordered).toEqual(expect.arrayContaining([first, second]));
      expect(result.problems.some((problem) => problem.kind === 'edited')).toBe(false);
    });

    it('finds an inserted record, even one with a valid hash', async () => {
      const after = at(3);
      const result = await tampered(async (tx) => {
        // Make room, then forge a record that links correctly to the one before it.
        await tx.query('UPDATE gateway_audit SET seq = seq + 1000000 WHERE seq > $1', [after]);
        await tx.query('UPDATE gateway_audit SET seq = seq - 999999 WHERE seq > 1000000');
        const [previous] = await tx.query<{ hash: string }>(
          'SELECT hash FROM gateway_audit WHERE seq = $1',
          [after],
        );
        const { createHash } = await import('node:crypto');
        const fields = [
          previous?.hash,
          forgedAtMs,
          'request',
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          200,
          null,
          null,
          null,
          null,
        ];
        const hash = createHash('sha256').update(JSON.stringify(fields)).digest('hex');
        await tx.query(
          "INSERT INTO gateway_audit (seq, at_ms, action, status, prev_hash, hash) VALUES ($1, $2, 'request', 200, $3, $4)",
          [after + 1, forgedAtMs, previous?.hash, hash],
        );
        await tx.query('UPDATE gateway_audit_head SET seq = seq + 1');
      });
      expect(result.problems).toEqual([
        expect.objectContaining({ kind: 'inserted', seq: after + 1 }),
      ]);
    });
  });
}
