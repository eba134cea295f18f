/**
 * What the gateway costs per request: authenticate + begin + finish (one usage row and one
 * audit record, committed) against the same two inserts written directly with SQL in one
 * transaction, on each engine, in the same run. PostgreSQL runs on a throwaway local cluster;
 * PGlite in memory, and on a temporary directory with and without a disk sync per commit.
 *
 *   pnpm --filter @llmr/gateway bench [-- --requests 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgresCluster } from '../src/__fixtures__/postgres-cluster';
import { openPgliteDatabase } from '../src/database/pglite-database';
import type { SqlDatabase } from '../src/database/sql-database';
import { createGateway } from '../src/gateway';

const requestsFlag = process.argv.indexOf('--requests');
const REQUESTS = requestsFlag === -1 ? 200 : Number(process.argv[requestsFlag + 1]);

interface Row {
  engine: string;
  mode: string;
  requestsPerSecond: number;
  p50Ms: number;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

async function measure(engine: string, url: string | SqlDatabase): Promise<Row[]> {
  const gateway = await createGateway({
    database: url,
    prices: { '*': { inputPerMillion: 1, outputPerMillion: 2 } },
  });
  try {
    await gateway.tenants.create({ name: 'bench', policy: { requestsPerMinute: 1_000_000 } });
    const { key } = await gateway.keys.create({
      tenant: 'bench',
      policy: { budgets: [{ metric: 'usd', period: 'day', limit: 1000 }] },
    });
    const rows: Row[] = [];

    const direct: number[] = [];
    let started = performance.now();
    for (let index = 0; index < REQUESTS; index++) {
      const begin = performance.now();
      await gateway.database.transaction(async (tx) => {
        await tx.query(
          'INSERT INTO gateway_usage (at_ms, tenant_id, key_id, model, input_tokens, output_tokens, cost_micro_usd, is_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [Date.now(), 'direct', 'direct', 'm', 100, 20, 140, false],
        );
        await tx.query(
          "INSERT INTO gateway_audit (seq, at_ms, action, prev_hash, hash) VALUES ($1, $2, 'direct', '', '')",
          [-1 - index, Date.now()],
        );
      });
      direct.push(performance.now() - begin);
    }
    rows.push({
      engine,
      mode: 'direct SQL (2 inserts, 1 tx)',
      requestsPerSecond: REQUESTS / ((performance.now() - started) / 1000),
      p50Ms: percentile(direct, 0.5),
    });
    // Out of the chain again, so the gateway's appends and verify see only their own records.
    await gateway.database.query('DELETE FROM gateway_audit WHERE seq < 0');

    const full: number[] = [];
    started = performance.now();
    for (let index = 0; index < REQUESTS; index++) {
      const begin = performance.now();
      const caller = await gateway.authenticate(key);
      gateway.authorize(caller, 'inference');
      const request = await gateway.begin(caller, {
        model: 'm',
        route: '/v1/chat/completions',
        clientIp: '127.0.0.1',
      });
      await request.finish({ inputTokens: 100, outputTokens: 20, status: 200 });
      full.push(performance.now() - begin);
    }
    rows.push({
      engine,
      mode: 'gateway (auth, limits, budget, usage, audit)',
      requestsPerSecond: REQUESTS / ((performance.now() - started) / 1000),
      p50Ms: percentile(full, 0.5),
    });
    if (!(await gateway.audit.verify()).ok)
      throw new Error('the audit chain did not verify after the run');
    return rows;
  } finally {
    await gateway.close();
  }
}

const cluster = await startPostgresCluster();
const directory = mkdtempSync(join(tmpdir(), 'llmr-gateway-bench-'));
try {
  const rows = [
    ...(await measure('PGlite (memory)', 'pglite:memory')),
    ...(await measure(
      'PGlite (directory, synced)',
      await openPgliteDatabase({ dataDir: join(directory, 'synced') }),
    )),
    ...(await measure(
      'PGlite (directory, durable: false)',
      await openPgliteDatabase({ dataDir: join(directory, 'unsynced'), durable: false }),
    )),
    ...(await measure('PostgreSQL', cluster.url)),
  ];
  console.log(`requests: ${REQUESTS}, sequential\n`);
  console.log('| engine | mode | requests/s | p50 ms |\n| --- | --- | ---: | ---: |');
  for (const row of rows)
    console.log(
      `| ${row.engine} | ${row.mode} | ${row.requestsPerSecond.toFixed(0)} | ${row.p50Ms.toFixed(2)} |`,
    );
  console.log(JSON.stringify({ bench: 'gateway', requests: REQUESTS, rows }));
} finally {
  await cluster.stop();
  rmSync(directory, { recursive: true, force: true });
}
