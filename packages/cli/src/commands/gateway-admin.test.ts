/**
 * `llmr tenants|keys|audit` against an embedded gateway database, through the built
 * binary as a user runs it; the keys it prints authenticate against the same database.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGateway } from '@llmr/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBudgetFlag } from './keys';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'llmr-gateway-cli-'));
const db = `pglite:${join(dir, 'db')}`;

async function llmr(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...args], { timeout: 240_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('llmr tenants, keys and audit', () => {
  beforeAll(() => {
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm build\` first (\`pnpm test\` does).`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses --budget flags and refuses bad ones', () => {
    expect(parseBudgetFlag('usd:month:50')).toEqual({
      metric: 'usd',
      period: 'month',
      limit: 50,
      enforcement: 'hard',
    });
    expect(parseBudgetFlag('tokens:day:1000:soft')).toMatchObject({ enforcement: 'soft' });
    expect(() => parseBudgetFlag('eur:day:5')).toThrow(/--budget "eur:day:5" is not/);
  });

  it('creates a tenant and a key, revokes it, verifies and exports the audit log', async () => {
    const tenant = await llmr(
      'tenants',
      'create',
      'research',
      '--policy',
      '{"requestsPerMinute":60}',
      '--db',
      db,
    );
    expect(tenant.stderr).toBe('');
    expect(tenant.stdout).toMatch(/^created tenant research \(tn_[0-9a-f]{12}\)/);

    const created = await llmr(
      'keys',
      'create',
      '--tenant',
      'research',
      '--scope',
      'inference',
      'metrics',
      '--budget',
      'usd:month:50',
      '--json',
      '--db',
      db,
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as {
      key: string;
      id: string;
      scopes: string[];
      policy: unknown;
    };
    expect(key.key).toMatch(/^llmr-sk-/);
    expect(key).toMatchObject({
      scopes: ['inference', 'metrics'],
      policy: { budgets: [{ metric: 'usd', period: 'month', limit: 50, enforcement: 'hard' }] },
    });

    // The printed key is a real credential for the same database.
    const gateway = await createGateway({ database: db });
    try {
      expect((await gateway.authenticate(key.key)).key.id).toBe(key.id);
    } finally {
      await gateway.close();
    }

    const revoked = await llmr('keys', 'revoke', key.id, '--db', db);
    expect(revoked.stdout).toBe(`revoked key ${key.id}\n`);

    const verify = await llmr('audit', 'verify', '--db', db);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^audit log intact: 3 records/);

    const exported = join(dir, 'audit.jsonl');
    expect((await llmr('audit', 'export', '-o', exported, '--db', db)).code).toBe(0);
    const lines = readFileSync(exported, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; details: { via: string } });
    expect(lines.map((line) => line.action)).toEqual([
      'admin.tenant.create',
      'admin.key.create',
      'admin.key.revoke',
    ]);
    expect(lines.every((line) => line.details.via === 'cli')).toBe(true);
    expect(readFileSync(exported, 'utf8')).not.toContain(key.key.split('-').slice(3).join('-'));
  }, 900_000);

  it('exits 1 and names the record when the log was tampered with, and 2 on a bad database URL', async () => {
    const gateway = await createGateway({ database: db });
    try {
      await gateway.database.query("UPDATE gateway_audit SET client_ip = '6.6.6.6' WHERE seq = 2");
    } finally {
      await gateway.close();
    }
    const verify = await llmr('audit', 'verify', '--db', db);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^edited at record 2: Record 2 was edited/);
    const bad = await llmr('keys', 'list', '--db', 'mysql://nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown gateway database "mysql:\/\/nope"/);
  }, 600_000);
});
