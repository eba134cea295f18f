/**
 * One behaviour suite for the gateway, run against every storage engine (PGlite and
 * PostgreSQL), so both keep the same schema and the same answers. Each limit is shown
 * refusing at exactly its boundary: the last allowed request passes, the next is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../database/migrations';
import { createGateway, type Gateway, type Principal } from '../gateway';
import type { Policy, Scope } from '../policy';
import { runAuditChainChecks } from './audit-chain-checks';

export interface SuiteDatabase {
  url: string;
  cleanup(): Promise<void>;
}

/** Mid-month, mid-day (UTC), so day and month resets are both ahead. */
const START = Date.UTC(2026, 2, 15, 12, 0, 0);
const MINUTE = 60_000;

export function runGatewaySuite(engine: string, open: () => Promise<SuiteDatabase>): void {
  describe(`gateway on ${engine}`, () => {
    let database: SuiteDatabase;
    let gateway: Gateway;
    const clock = { now: START };
    let tenantCount = 0;

    beforeAll(async () => {
      database = await open();
      gateway = await createGateway({
        database: database.url,
        now: () => clock.now,
        prices: { 'priced-*': { inputPerMillion: 10, outputPerMillion: 20 } },
      });
    });
    afterAll(async () => {
      await gateway?.close();
      await database?.cleanup();
    });

    async function principal(
      options: {
        scopes?: Scope[];
        policy?: Policy;
        tenantPolicy?: Policy;
        storeContent?: boolean;
        expiresAt?: Date;
      } = {},
    ): Promise<{ principal: Principal; key: string; tenant: string }> {
      tenantCount += 1;
      const tenant = await gateway.tenants.create({
        name: `team-${tenantCount}`,
        policy: options.tenantPolicy ?? {},
        storeContent: options.storeContent ?? false,
      });
      const created = await gateway.keys.create({
        tenant: tenant.name,
        scopes: options.scopes ?? ['inference'],
        policy: options.policy ?? {},
        ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
      });
      return {
        principal: await gateway.authenticate(created.key),
        key: created.key,
        tenant: tenant.id,
      };
    }

    async function run(who: Principal, model: string, tokens: { input: number; output: number }) {
      const admission = await gateway.begin(who, {
        model,
        route: '/v1/chat/completions',
        clientIp: '127.0.0.1',
      });
      return admission.finish({
        inputTokens: tokens.input,
        outputTokens: tokens.output,
        status: 200,
      });
    }

    it('migrates once and records the version', async () => {
      expect(await migrate(gateway.database)).toEqual([]);
      const rows = await gateway.database.query<{ version: number }>(
        'SELECT version FROM schema_migrations',
      );
      expect(rows.map((row) => Number(row.version))).toEqual([1]);
    });

    it('shows a key once and stores only its hash', async () => {
      const tenant = await gateway.tenants.create({ name: 'hash-check' });
      const { key, record } = await gateway.keys.create({ tenant: 'hash-check', name: 'ci' });
      expect(key).toMatch(/^llmr-sk-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/);
      expect(key).toContain(record.id);
      const rows = await gateway.database.query<Record<string, unknown>>(
        'SELECT * FROM gateway_keys WHERE id = $1',
        [record.id],
      );
      const secret = key.split('-').slice(3).join('-');
      expect(JSON.stringify(rows)).not.toContain(secret);
      const audit = await gateway.audit.list({ tenantId: tenant.id });
      expect(JSON.stringify(audit)).not.toContain(secret);
      expect((await gateway.authenticate(key)).key.id).toBe(record.id);
    });

    it('refuses missing, malformed, wrong, revoked and expired keys with 401', async () => {
      const { key, principal: who } = await principal({ expiresAt: new Date(START + MINUTE) });
      await expect(gateway.authenticate(undefined)).rejects.toMatchObject({
        status: 401,
        code: 'gateway-unauthenticated',
      });
      await expect(gateway.authenticate('sk-not-ours')).rejects.toMatchObject({ status: 401 });
      const wrong =
        `${key.slice(0, -4)}AAAA` === key ? `${key.slice(0, -4)}BBBB` : `${key.slice(0, -4)}AAAA`;
      await expect(gateway.authenticate(wrong)).rejects.toMatchObject({
        status: 401,
        code: 'gateway-unauthenticated',
      });
      // Expiry at its boundary: valid one millisecond before, refused at the instant.
      clock.now = START + MINUTE - 1;
      await expect(gateway.authenticate(key)).resolves.toBeDefined();
      clock.now = START + MINUTE;
      await expect(gateway.authenticate(key)).rejects.toMatchObject({
        status: 401,
        code: 'gateway-key-expired',
      });
      clock.now = START;
      await gateway.keys.revoke(who.key.id, { via: 'test' });
      await expect(gateway.authenticate(key)).rejects.toMatchObject({
        status: 401,
        code: 'gateway-key-revoked',
      });
    });

    it('grants each scope only to keys that hold it; admin holds all', async () => {
      const scopes: Scope[] = ['admin', 'inference', 'metrics'];
      for (const held of scopes) {
        const { principal: who } = await principal({ scopes: [held] });
        for (const wanted of scopes) {
          if (held === wanted || held === 'admin')
            expect(() => gateway.authorize(who, wanted)).not.toThrow();
          else
            expect(() => gateway.authorize(who, wanted)).toThrow(
              expect.objectContaining({ status: 403, code: 'gateway-scope-denied' }),
            );
        }
      }
    });

    it('allows models by name and glob, on the key and on the tenant', async () => {
      const { principal: who } = await principal({
        policy: { models: ['gpt-*', 'fast'] },
        tenantPolicy: { models: ['gpt-4*', 'fast'] },
      });
      expect(() => gateway.checkModel(who, 'gpt-4o')).not.toThrow();
      expect(() => gateway.checkModel(who, 'fast')).not.toThrow();
      expect(() => gateway.checkModel(who, 'faster')).toThrow(
        expect.objectContaining({ status: 403, code: 'gateway-model-denied' }),
      );
      // The key allows gpt-3.5, its tenant does not.
      expect(() => gateway.checkModel(who, 'gpt-3.5')).toThrow(/not allowed for this tenant/);
      await expect(gateway.begin(who, { model: 'llama' })).rejects.toMatchObject({ status: 403 });
    });

    it('refuses the request after the last one a requests-per-minute limit allows', async () => {
      const { principal: who } = await principal({ policy: { requestsPerMinute: 3 } });
      for (let index = 0; index < 3; index++) await run(who, 'm', { input: 1, output: 1 });
      const refused = gateway.begin(who, { model: 'm' });
      await expect(refused).rejects.toMatchObject({
        status: 429,
        limit: 'requests-per-minute',
        subject: 'key',
      });
      await expect(refused).rejects.toThrow(/3 requests per minute/);
      clock.now = START + MINUTE;
      await expect(run(who, 'm', { input: 1, output: 1 })).resolves.toBeDefined();
      clock.now = START;
    });

    it('counts a tenant requests-per-minute limit across its keys', async () => {
      const { principal: first } = await principal({ tenantPolicy: { requestsPerMinute: 2 } });
      const second = await gateway.keys.create({ tenant: first.tenant.id });
      const secondPrincipal = await gateway.authenticate(second.key);
      await run(first, 'm', { input: 1, output: 1 });
      await run(secondPrincipal, 'm', { input: 1, output: 1 });
      await expect(gateway.begin(first, { model: 'm' })).rejects.toMatchObject({
        status: 429,
        subject: 'tenant',
      });
    });

    it('refuses once a tokens-per-minute limit is used exactly', async () => {
      const { principal: who } = await principal({ policy: { tokensPerMinute: 100 } });
      await run(who, 'm', { input: 50, output: 10 });
      await run(who, 'm', { input: 30, output: 9 }); // 99 of 100: still under
      await run(who, 'm', { input: 1, output: 0 }); // exactly 100
      await expect(gateway.begin(who, { model: 'm' })).rejects.toMatchObject({
        status: 429,
        limit: 'tokens-per-minute',
      });
    });

    it('caps parallel requests and frees a slot when one finishes', async () => {
      const { principal: who } = await principal({ policy: { maxParallel: 2 } });
      const first = await gateway.begin(who, { model: 'm' });
      await gateway.begin(who, { model: 'm' });
      await expect(gateway.begin(who, { model: 'm' })).rejects.toMatchObject({
        status: 429,
        limit: 'max-parallel',
      });
      await first.finish({ inputTokens: 0, outputTokens: 0, status: 499 });
      await expect(gateway.begin(who, { model: 'm' })).resolves.toBeDefined();
    });

    it('refuses at a hard USD budget exactly, names it and says when it resets', async () => {
      // priced-*: $10 / $20 per million tokens = 10 and 20 micro-dollars per token.
      const { principal: who } = await principal({
        policy: { budgets: [{ metric: 'usd', period: 'day', limit: 0.001 }] },
      });
      expect((await run(who, 'priced-a', { input: 50, output: 20 })).costUsd).toBeCloseTo(
        0.0009,
        9,
      );
      await run(who, 'priced-a', { input: 9, output: 0 }); // $0.00099
      await run(who, 'priced-a', { input: 1, output: 0 }); // exactly $0.001
      const refused = gateway.begin(who, { model: 'priced-a' });
      await expect(refused).rejects.toMatchObject({
        status: 402,
        code: 'gateway-budget-exceeded',
        budget: 'usd-per-day',
        subject: 'key',
      });
      await expect(refused).rejects.toThrow(
        /usd-per-day budget of \$0\.001 is spent.*resets at 2026-03-16T00:00:00\.000Z/,
      );
      clock.now = Date.UTC(2026, 2, 16, 0, 0, 0);
      await expect(run(who, 'priced-a', { input: 1, output: 0 })).resolves.toBeDefined();
      clock.now = START;
    });

    it('refuses at a tenant token budget per month, shared by its keys, until the month turns', async () => {
      const { principal: who } = await principal({
        tenantPolicy: { budgets: [{ metric: 'tokens', period: 'month', limit: 100 }] },
      });
      const other = await gateway.authenticate(
        (await gateway.keys.create({ tenant: who.tenant.id })).key,
      );
      await run(who, 'm', { input: 60, output: 39 });
      await run(other, 'm', { input: 1, output: 0 });
      await expect(gateway.begin(who, { model: 'm' })).rejects.toMatchObject({
        status: 402,
        budget: 'tokens-per-month',
        subject: 'tenant',
        resetsAt: new Date(Date.UTC(2026, 3, 1)),
      });
      clock.now = Date.UTC(2026, 3, 1);
      await expect(run(who, 'm', { input: 1, output: 0 })).resolves.toBeDefined();
      clock.now = START;
    });

    it('raises a soft budget alert once, when it is crossed, and keeps serving', async () => {
      const { principal: who } = await principal({
        policy: { budgets: [{ metric: 'tokens', period: 'day', limit: 10, enforcement: 'soft' }] },
      });
      const alerts: string[] = [];
      const unsubscribe = gateway.onAlert((alert) => alerts.push(alert.message));
      await run(who, 'm', { input: 9, output: 0 });
      expect(alerts).toEqual([]);
      await run(who, 'm', { input: 1, output: 0 });
      await run(who, 'm', { input: 5, output: 0 });
      unsubscribe();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatch(/soft tokens-per-day budget of 10 tokens is reached/);
      const records = await gateway.audit.list({ tenantId: who.tenant.id, limit: 1000 });
      expect(records.filter((record) => record.action === 'alert.budget')).toHaveLength(1);
    });

    it('sums usage per key, tenant and model over half-open time ranges', async () => {
      const { principal: who, tenant } = await principal();
      clock.now = START + 10 * MINUTE;
      await run(who, 'priced-a', { input: 100, output: 50 });
      const failed = await gateway.begin(who, { model: 'priced-b' });
      await failed.finish({ inputTokens: 10, outputTokens: 0, status: 500 });
      clock.now = START + 20 * MINUTE;
      await run(who, 'priced-a', { input: 1, output: 1 });
      clock.now = START;
      const all = await gateway.usage.query({ tenantId: tenant });
      expect(all).toEqual([
        {
          tenantId: tenant,
          keyId: who.key.id,
          model: 'priced-a',
          requests: 2,
          errors: 0,
          inputTokens: 101,
          outputTokens: 51,
          costUsd: 0.00203,
        },
        {
          tenantId: tenant,
          keyId: who.key.id,
          model: 'priced-b',
          requests: 1,
          errors: 1,
          inputTokens: 10,
          outputTokens: 0,
          costUsd: 0.0001,
        },
      ]);
      const early = await gateway.usage.query({
        tenantId: tenant,
        fromMs: START + 10 * MINUTE,
        toMs: START + 20 * MINUTE,
      });
      expect(early.map((row) => [row.model, row.requests])).toEqual([
        ['priced-a', 1],
        ['priced-b', 1],
      ]);
      expect(await gateway.usage.query({ keyId: who.key.id, model: 'priced-b' })).toHaveLength(1);
    });

    it('audits requests without their text unless the tenant opts in', async () => {
      const { principal: quiet } = await principal();
      const { principal: open } = await principal({ storeContent: true });
      for (const who of [quiet, open]) {
        const admission = await gateway.begin(who, {
          model: 'priced-a',
          route: '/v1/chat/completions',
          clientIp: '10.0.0.7',
        });
        await admission.finish({
          inputTokens: 3,
          outputTokens: 4,
          status: 200,
          modelsTried: ['down', 'priced-a'],
          content: 'hello -> world',
        });
      }
      const [quietRecord] = (
        await gateway.audit.list({ tenantId: quiet.tenant.id, limit: 100 })
      ).filter((r) => r.action === 'request');
      const [openRecord] = (
        await gateway.audit.list({ tenantId: open.tenant.id, limit: 100 })
      ).filter((r) => r.action === 'request');
      expect(quietRecord).toMatchObject({
        keyId: quiet.key.id,
        tenantId: quiet.tenant.id,
        route: '/v1/chat/completions',
        model: 'priced-a',
        modelsTried: ['down', 'priced-a'],
        inputTokens: 3,
        outputTokens: 4,
        costMicroUsd: 110,
        status: 200,
        clientIp: '10.0.0.7',
        content: null,
      });
      expect(openRecord?.content).toBe('hello -> world');
    });

    it('audits admin actions', async () => {
      const tenant = await gateway.tenants.create(
        { name: 'audited' },
        { keyId: 'admin-key', via: 'api', clientIp: '10.1.1.1' },
      );
      const { record } = await gateway.keys.create(
        { tenant: 'audited', scopes: ['metrics'] },
        { keyId: 'admin-key' },
      );
      await gateway.keys.revoke(record.id, { keyId: 'admin-key' });
      const actions = (await gateway.audit.list({ tenantId: tenant.id })).map((entry) => [
        entry.action,
        entry.keyId,
      ]);
      expect(actions).toEqual([
        ['admin.tenant.create', 'admin-key'],
        ['admin.key.create', 'admin-key'],
        ['admin.key.revoke', 'admin-key'],
      ]);
    });

    it('keeps one unforked chain under concurrent appends', async () => {
      // On PostgreSQL, two gateways on one database stand for two replicas; a PGlite
      // directory belongs to one process, so there the appends race within one gateway.
      const shared = engine === 'PostgreSQL';
      const replica = shared
        ? await createGateway({ database: database.url, now: () => clock.now })
        : gateway;
      try {
        await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            (index % 2 === 0 ? gateway : replica).audit.append({
              action: 'request',
              status: 200,
              details: { index },
            }),
          ),
        );
      } finally {
        if (shared) await replica.close();
      }
      const verification = await gateway.audit.verify();
      expect(verification.problems).toEqual([]);
      const seqs = (await gateway.audit.list({ limit: 100_000 })).map((record) => record.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
    });

    runAuditChainChecks(() => gateway, START);
  });
}
