/**
 * An acknowledged key creation, usage or audit write survives `kill -9`: a child process
 * creates keys and charges requests, acknowledging each on stdout once it resolves; the
 * test kills it mid-stream, reopens the database and finds every acknowledged key and
 * record, chain intact. (That PGlite also syncs each commit to disk, for power cuts, is
 * durable-node-fs.test.ts.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startPostgresCluster } from './__fixtures__/postgres-cluster';
import { createGateway } from './gateway';

const writer = fileURLToPath(new URL('./__fixtures__/durability-writer.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');
const ACKS_BEFORE_KILL = 15;

async function writeAndKill(
  url: string,
  key: string,
): Promise<{ acked: number[]; keys: string[] }> {
  const child = spawn(process.execPath, ['--import', tsx, writer, url, key], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  const keys: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^ack (\d+)$/.exec(line);
        if (match) acked.push(Number(match[1]));
        const created = /^key (\S+)$/.exec(line);
        if (created) keys.push(created[1] as string);
        if (acked.length >= ACKS_BEFORE_KILL) {
          child.kill('SIGKILL');
          resolve();
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`The writer exited (${code}) before it was killed: ${stderr}`));
    });
  });
  await new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(null)
      : child.once('exit', resolve),
  );
  return { acked, keys };
}

async function checkSurvives(url: string): Promise<void> {
  const setup = await createGateway({ database: url });
  await setup.tenants.create({ name: 'durable' });
  const { key } = await setup.keys.create({ tenant: 'durable' });
  await setup.close();

  const { acked, keys } = await writeAndKill(url, key);
  expect(acked.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

  const reopened = await createGateway({ database: url });
  try {
    const found = new Set<number>();
    for await (const record of reopened.audit.records()) {
      if (record.action === 'request') found.add(record.details?.n as number);
    }
    for (const n of acked) expect(found.has(n), `acknowledged request ${n} survived`).toBe(true);
    const [usage] = await reopened.usage.query({ model: 'durable' });
    expect(usage?.requests).toBeGreaterThanOrEqual(acked.length);
    expect(usage?.requests).toBe(found.size);
    expect(keys.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    const stored = new Set((await reopened.keys.list({ tenant: 'durable' })).map((row) => row.id));
    for (const id of keys) expect(stored.has(id), `acknowledged key ${id} survived`).toBe(true);
    expect((await reopened.audit.verify()).problems).toEqual([]);
  } finally {
    await reopened.close();
  }
}

describe('durability across kill -9', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('keeps every acknowledged write in a PGlite directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmr-gateway-pglite-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    await checkSurvives(`pglite:${dir}`);
  }, 600_000);

  it('keeps every acknowledged write in PostgreSQL', async () => {
    const cluster = await startPostgresCluster();
    cleanups.push(() => cluster.stop());
    await checkSurvives(cluster.url);
  }, 300_000);
});
