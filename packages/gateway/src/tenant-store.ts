/**
 * Tenants: the teams or projects that own keys, with a policy that binds every key they
 * own and a switch for keeping prompt and completion text in the audit log.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '@llmr/core';
import type { AuditLog } from './audit-log';
import type { SqlDatabase } from './database/sql-database';
import { GatewayNotFoundError } from './gateway-errors';
import { type Policy, parsePolicy } from './policy';

export interface Tenant {
  id: string;
  name: string;
  policy: Policy;
  metadata: Record<string, unknown>;
  /** Keep prompt and completion text in the audit log (off unless the tenant opts in). */
  storeContent: boolean;
  createdAt: Date;
}

export interface CreateTenantOptions {
  name: string;
  policy?: Policy;
  metadata?: Record<string, unknown>;
  storeContent?: boolean;
}

/** Who did an admin action, for the audit log. */
export interface Actor {
  keyId?: string;
  tenantId?: string;
  clientIp?: string;
  /** `api`, `cli`, `config`, ... */
  via?: string;
}

interface TenantRow {
  id: string;
  name: string;
  policy: string;
  metadata: string;
  store_content: boolean;
  created_ms: number;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function parseMetadata(input: unknown, path = 'metadata'): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidArgumentError({
      argument: path,
      value: input,
      message: `${path}: expected an object.`,
    });
  }
  if (JSON.stringify(input).length > 16_384) {
    throw new InvalidArgumentError({
      argument: path,
      value: '(too long)',
      message: `${path}: at most 16 KiB of JSON.`,
    });
  }
  return input as Record<string, unknown>;
}

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    policy: JSON.parse(row.policy) as Policy,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    storeContent: row.store_content,
    createdAt: new Date(Number(row.created_ms)),
  };
}

export class TenantStore {
  constructor(
    private readonly database: SqlDatabase,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  async create(options: CreateTenantOptions, actor: Actor = {}): Promise<Tenant> {
    if (typeof options.name !== 'string' || !NAME_PATTERN.test(options.name)) {
      throw new InvalidArgumentError({
        argument: 'name',
        value: options.name,
        message: `Tenant name ${JSON.stringify(options.name)} is not valid: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
      });
    }
    const policy = parsePolicy(options.policy);
    const metadata = parseMetadata(options.metadata);
    const tenant: Tenant = {
      id: `tn_${randomBytes(6).toString('hex')}`,
      name: options.name,
      policy,
      metadata,
      storeContent: options.storeContent === true,
      createdAt: new Date(this.now()),
    };
    return this.database.transaction(async (tx) => {
      const existing = await tx.query('SELECT id FROM gateway_tenants WHERE name = $1', [
        tenant.name,
      ]);
      if (existing.length > 0) {
        throw new InvalidArgumentError({
          argument: 'name',
          value: tenant.name,
          message: `A tenant named "${tenant.name}" already exists; choose another name.`,
        });
      }
      await tx.query(
        'INSERT INTO gateway_tenants (id, name, policy, metadata, store_content, created_ms) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          tenant.id,
          tenant.name,
          JSON.stringify(policy),
          JSON.stringify(metadata),
          tenant.storeContent,
          tenant.createdAt.getTime(),
        ],
      );
      await this.audit.appendIn(tx, {
        action: 'admin.tenant.create',
        keyId: actor.keyId,
        tenantId: tenant.id,
        clientIp: actor.clientIp,
        details: {
          name: tenant.name,
          policy,
          storeContent: tenant.storeContent,
          via: actor.via ?? 'api',
          actorTenantId: actor.tenantId,
        },
      });
      return tenant;
    });
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.database.query<TenantRow>(
      'SELECT * FROM gateway_tenants ORDER BY created_ms, name',
    );
    return rows.map(toTenant);
  }

  async get(idOrName: string): Promise<Tenant | undefined> {
    const [row] = await this.database.query<TenantRow>(
      'SELECT * FROM gateway_tenants WHERE id = $1 OR name = $1',
      [idOrName],
    );
    return row ? toTenant(row) : undefined;
  }

  async require(idOrName: string): Promise<Tenant> {
    const tenant = await this.get(idOrName);
    if (!tenant) {
      throw new GatewayNotFoundError({
        message: `No tenant "${idOrName}". List tenants with "llmr tenants list" or GET /api/admin/tenants.`,
      });
    }
    return tenant;
  }
}
