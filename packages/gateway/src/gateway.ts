/**
 * The gateway: who is calling (virtual keys), what they may do (scopes, models), how
 * fast and how much (rate limits, budgets), and what they did (usage, audit log).
 * `begin` admits a request and `finish` charges it; the HTTP layer only translates.
 */
import type { AuditEntry } from './audit-log';
import { AuditLog } from './audit-log';
import { budgetLimitUnits, budgetName, describeAmount, periodEnd, periodStart } from './budgets';
import { migrate } from './database/migrations';
import { openDatabase } from './database/open-database';
import type { SqlDatabase } from './database/sql-database';
import {
  GatewayAuthenticationError,
  GatewayBudgetError,
  GatewayPermissionError,
} from './gateway-errors';
import { keyMatches, parseKeyId } from './key-format';
import { KeyStore, toVirtualKey, type VirtualKey } from './key-store';
import { type Budget, modelAllowed, modelMatches, type Policy, type Scope } from './policy';
import {
  type GatewayRateLimiter,
  RateLimiter,
  type RateSubject,
  type RateTicket,
} from './rate-limiter';
import { type RateWindowStore, SharedRateLimiter } from './shared-rate-limiter';
import { type Tenant, TenantStore } from './tenant-store';
import { UsageStore } from './usage-store';

/** US dollars per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface GatewayOptions {
  /** `pglite:<dir>`, `pglite:memory`, `postgres://...`, or an open database. */
  database: string | SqlDatabase;
  /** Prices by model name or glob; the first match wins. Unpriced models cost $0. */
  prices?: Record<string, ModelPrice>;
  /** The clock (milliseconds since the epoch); tests pass their own. */
  now?: () => number;
}

export interface Principal {
  key: VirtualKey;
  tenant: Tenant;
}

export interface BudgetAlert {
  subject: 'key' | 'tenant';
  id: string;
  budget: Budget;
  spent: number;
  limit: number;
  message: string;
}

export interface RequestOutcome {
  /** The model that answered (defaults to the one requested). */
  model?: string;
  modelsTried?: string[];
  inputTokens: number;
  outputTokens: number;
  /** Overrides the price table. */
  costUsd?: number;
  status: number;
  /** Prompt and completion; kept only when the tenant opted in. */
  content?: string;
  details?: Record<string, unknown>;
}

export interface Admission {
  readonly principal: Principal;
  readonly model: string;
  /** Charges the request, writes its audit record and frees its parallel slot; once only. */
  finish(outcome: RequestOutcome): Promise<{ costUsd: number }>;
}

export class Gateway {
  readonly tenants: TenantStore;
  readonly keys: KeyStore;
  readonly usage: UsageStore;
  readonly audit: AuditLog;
  private limiter: GatewayRateLimiter;
  private readonly alertListeners = new Set<(alert: BudgetAlert) => void>();

  constructor(
    readonly database: SqlDatabase,
    private readonly options: { prices?: Record<string, ModelPrice>; now: () => number },
  ) {
    const now = options.now;
    this.audit = new AuditLog(database, now);
    this.tenants = new TenantStore(database, this.audit, now);
    this.keys = new KeyStore(database, this.tenants, this.audit, now);
    this.usage = new UsageStore(database);
    this.limiter = new RateLimiter(now);
  }

  /**
   * Counts the per-minute limits in `store` (the server's Redis shared state) instead of
   * this process's memory, so replicas on one store enforce them together.
   */
  shareRateLimits(store: RateWindowStore, onSettleError?: (error: unknown) => void): void {
    this.limiter = new SharedRateLimiter(store, new RateLimiter(this.options.now), onSettleError);
  }

  /** Soft budgets crossed; returns a function that unsubscribes. */
  onAlert(listener: (alert: BudgetAlert) => void): () => void {
    this.alertListeners.add(listener);
    return () => this.alertListeners.delete(listener);
  }

  /** The caller behind a presented key, or a 401 that says what is wrong with it. */
  async authenticate(presented: string | undefined): Promise<Principal> {
    if (!presented) {
      throw new GatewayAuthenticationError({
        message: 'Missing API key. Send a gateway key as "Authorization: Bearer llmr-sk-...".',
      });
    }
    const id = parseKeyId(presented);
    const row = id === undefined ? undefined : await this.keys.getRow(id);
    // Hash and compare even when there is no such key, so timing does not tell ids apart.
    const matches = keyMatches(presented, row?.hash ?? '0'.repeat(64));
    if (!row || !matches) {
      throw new GatewayAuthenticationError({
        message:
          'Incorrect API key. Check the key, or ask an admin for a new one ("llmr keys create").',
      });
    }
    const key = toVirtualKey(row);
    if (key.revokedAt) {
      throw new GatewayAuthenticationError({
        code: 'gateway-key-revoked',
        message: `This API key (${key.id}) was revoked on ${key.revokedAt.toISOString()}. Ask an admin for a new one.`,
      });
    }
    if (key.expiresAt && key.expiresAt.getTime() <= this.options.now()) {
      throw new GatewayAuthenticationError({
        code: 'gateway-key-expired',
        message: `This API key (${key.id}) expired on ${key.expiresAt.toISOString()}. Ask an admin for a new one.`,
      });
    }
    const tenant = await this.tenants.require(key.tenantId);
    return { key, tenant };
  }

  /** Throws 403 unless the key has `scope`; `admin` implies the others. */
  authorize(principal: Principal, scope: Scope): void {
    const scopes = principal.key.scopes;
    if (scopes.includes(scope) || scopes.includes('admin')) return;
    throw new GatewayPermissionError({
      code: 'gateway-scope-denied',
      message: `This API key (${principal.key.id}) lacks the "${scope}" scope; it has ${scopes.map((name) => `"${name}"`).join(', ')}. Use a key created with --scope ${scope}.`,
    });
  }

  /** Throws 403 unless both the key's and the tenant's policies allow `model`. */
  checkModel(principal: Principal, model: string): void {
    for (const [subject, policy] of [
      ['key', principal.key.policy],
      ['tenant', principal.tenant.policy],
    ] as const) {
      if (!modelAllowed(policy, model)) {
        throw new GatewayPermissionError({
          code: 'gateway-model-denied',
          message: `Model "${model}" is not allowed for this ${subject}; allowed: ${(policy.models ?? []).join(', ') || '(none)'}.`,
        });
      }
    }
  }

  /**
   * Admits one request for `model`: model allowed, rate limits and hard budgets of key
   * and tenant. Throws 403, 429 or 402; the caller must `finish` what it admits.
   */
  async begin(
    principal: Principal,
    request: { model: string; route?: string; clientIp?: string },
  ): Promise<Admission> {
    this.checkModel(principal, request.model);
    await this.checkBudgets(principal);
    const ticket: RateTicket = await this.limiter.admit(rateSubjects(principal));
    const started = this.options.now();
    let finished = false;
    return {
      principal,
      model: request.model,
      finish: async (outcome) => {
        if (finished) throw new Error('This request was already finished.');
        finished = true;
        const tokens = outcome.inputTokens + outcome.outputTokens;
        ticket.release(tokens);
        const model = outcome.model ?? request.model;
        const costMicroUsd =
          outcome.costUsd === undefined
            ? this.priceMicroUsd(model, outcome.inputTokens, outcome.outputTokens)
            : Math.round(outcome.costUsd * 1e6);
        await this.charge(principal, {
          action: 'request',
          keyId: principal.key.id,
          tenantId: principal.tenant.id,
          route: request.route,
          model,
          modelsTried: outcome.modelsTried ?? [model],
          inputTokens: outcome.inputTokens,
          outputTokens: outcome.outputTokens,
          costMicroUsd,
          status: outcome.status,
          latencyMs: this.options.now() - started,
          clientIp: request.clientIp,
          content: principal.tenant.storeContent ? outcome.content : undefined,
          details: outcome.details,
        });
        return { costUsd: costMicroUsd / 1e6 };
      },
    };
  }

  /**
   * `begin`, and when it refuses, the refusal audited (who, route, model, status, code)
   * before the error is rethrown. Every transport admits generations through this.
   */
  async admit(
    principal: Principal,
    request: {
      model: string;
      route?: string;
      clientIp?: string;
      /** An audit write that failed; the refusal still stands. */
      onAuditError?: (error: unknown) => void;
    },
  ): Promise<Admission> {
    try {
      return await this.begin(principal, request);
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      await this.recordRefusal({
        action: 'request',
        keyId: principal.key.id,
        tenantId: principal.tenant.id,
        route: request.route,
        model: request.model,
        status: typeof status === 'number' ? status : 500,
        clientIp: request.clientIp,
        details: { code: (error as { code?: string }).code },
      }).catch((auditError: unknown) => request.onAuditError?.(auditError));
      throw error;
    }
  }

  /** Appends an audit record for a request refused before it ran (403, 429, 402, ...). */
  async recordRefusal(entry: AuditEntry): Promise<void> {
    await this.audit.append({ ...entry, action: entry.action || 'request' });
  }

  async close(): Promise<void> {
    await this.database.close();
  }

  private priceMicroUsd(model: string, inputTokens: number, outputTokens: number): number {
    for (const [pattern, price] of Object.entries(this.options.prices ?? {})) {
      // Dollars per million tokens times tokens is micro-dollars.
      if (modelMatches(pattern, model))
        return Math.round(
          inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion,
        );
    }
    return 0;
  }

  private budgetsOf(
    principal: Principal,
  ): Array<{ subject: 'key' | 'tenant'; id: string; budget: Budget }> {
    return [
      ...(principal.key.policy.budgets ?? []).map((budget) => ({
        subject: 'key' as const,
        id: principal.key.id,
        budget,
      })),
      ...(principal.tenant.policy.budgets ?? []).map((budget) => ({
        subject: 'tenant' as const,
        id: principal.tenant.id,
        budget,
      })),
    ];
  }

  private async checkBudgets(principal: Principal): Promise<void> {
    const now = this.options.now();
    for (const { subject, id, budget } of this.budgetsOf(principal)) {
      if (budget.enforcement === 'soft') continue;
      const spent = await this.usage.spent(subject, id, periodStart(budget.period, now));
      const used = budget.metric === 'usd' ? spent.microUsd : spent.tokens;
      const limit = budgetLimitUnits(budget);
      if (used >= limit) {
        const resetsAt = new Date(periodEnd(budget.period, now));
        throw new GatewayBudgetError({
          budget: budgetName(budget),
          subject,
          now,
          resetsAt,
          message: `The ${subject}'s ${budgetName(budget)} budget of ${describeAmount(budget, limit)} is spent (${describeAmount(budget, used)} used; ${subject} ${id}). It resets at ${resetsAt.toISOString()}.`,
        });
      }
    }
  }

  /** Usage and audit record commit together, so neither exists without the other. */
  private async charge(principal: Principal, entry: AuditEntry): Promise<void> {
    const now = this.options.now();
    const soft = this.budgetsOf(principal).filter(({ budget }) => budget.enforcement === 'soft');
    const alerts: BudgetAlert[] = [];
    await this.database.transaction(async (tx) => {
      await this.usage.record(
        {
          atMs: now,
          tenantId: principal.tenant.id,
          keyId: principal.key.id,
          model: entry.model ?? '',
          inputTokens: entry.inputTokens ?? 0,
          outputTokens: entry.outputTokens ?? 0,
          costMicroUsd: entry.costMicroUsd ?? 0,
          isError: (entry.status ?? 200) >= 400,
        },
        tx,
      );
      await this.audit.appendIn(tx, entry);
      for (const { subject, id, budget } of soft) {
        const spent = await this.usage.spent(subject, id, periodStart(budget.period, now), tx);
        const after = budget.metric === 'usd' ? spent.microUsd : spent.tokens;
        const added =
          budget.metric === 'usd'
            ? (entry.costMicroUsd ?? 0)
            : (entry.inputTokens ?? 0) + (entry.outputTokens ?? 0);
        const limit = budgetLimitUnits(budget);
        if (after - added < limit && after >= limit) {
          const alert: BudgetAlert = {
            subject,
            id,
            budget,
            spent: after,
            limit,
            message: `The ${subject}'s soft ${budgetName(budget)} budget of ${describeAmount(budget, limit)} is reached (${describeAmount(budget, after)} used; ${subject} ${id}).`,
          };
          alerts.push(alert);
          await this.audit.appendIn(tx, {
            action: 'alert.budget',
            keyId: principal.key.id,
            tenantId: principal.tenant.id,
            details: {
              subject,
              id,
              budget: budgetName(budget),
              spent: after,
              limit,
              message: alert.message,
            },
          });
        }
      }
    });
    for (const alert of alerts) for (const listener of this.alertListeners) listener(alert);
  }
}

function rateSubjects(principal: Principal): RateSubject[] {
  const subjects: RateSubject[] = [];
  const relevant = (policy: Policy) =>
    policy.requestsPerMinute !== undefined ||
    policy.tokensPerMinute !== undefined ||
    policy.maxParallel !== undefined;
  if (relevant(principal.key.policy))
    subjects.push({ kind: 'key', id: principal.key.id, policy: principal.key.policy });
  if (relevant(principal.tenant.policy)) {
    subjects.push({ kind: 'tenant', id: principal.tenant.id, policy: principal.tenant.policy });
  }
  return subjects;
}

/** Opens (and migrates) the database and returns a gateway on it. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const database =
    typeof options.database === 'string' ? await openDatabase(options.database) : options.database;
  await migrate(database);
  const settings: { prices?: Record<string, ModelPrice>; now: () => number } = {
    now: options.now ?? Date.now,
  };
  if (options.prices) settings.prices = options.prices;
  return new Gateway(database, settings);
}
