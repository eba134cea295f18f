/**
 * Virtual keys: owned by a tenant, with scopes, a policy, an expiry and metadata. The
 * key itself is returned once by `create`; afterwards only its id and digest exist.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { AuditLog } from './audit-log';
import type { SqlDatabase } from './database/sql-database';
import { GatewayNotFoundError } from './gateway-errors';
import { generateKey } from './key-format';
import { type Policy, parsePolicy, parseScopes, type Scope } from './policy';
import { type Actor, parseMetadata, type TenantStore } from './tenant-store';

export interface VirtualKey {
  id: string;
  tenantId: string;
  name: string;
  scopes: Scope[];
  policy: Policy;
  metadata: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date | undefined;
  revokedAt: Date | undefined;
}

export interface CreateKeyOptions {
  /** Tenant id or name. */
  tenant: string;
  name?: string;
  scopes?: Scope[];
  policy?: Policy;
  metadata?: Record<string, unknown>;
  expiresAt?: Date;
}

export interface KeyRow {
  id: string;
  tenant_id: string;
  name: string;
  hash: string;
  scopes: string;
  policy: string;
  metadata: string;
  created_ms: number;
  expires_ms: number | null;
  revoked_ms: number | null;
}

export function toVirtualKey(row: KeyRow): VirtualKey {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    policy: JSON.parse(row.policy) as Policy,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: new Date(Number(row.created_ms)),
    expiresAt: row.expires_ms === null ? undefined : new Date(Number(row.expires_ms)),
    revokedAt: row.revoked_ms === null ? undefined : new Date(Number(row.revoked_ms)),
  };
}

export class KeyStore {
  constructor(
    private readonly database: SqlDatabase,
    private readonly tenants: TenantStore,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  /** Creates a key; `key` is the only copy of the secret there will ever be. */
  async create(
    options: CreateKeyOptions,
    actor: Actor = {},
  ): Promise<{ key: string; record: VirtualKey }> {
    const tenant = await this.tenants.require(options.tenant);
    const scopes = parseScopes(options.scopes ?? ['inference']);
    const policy = parsePolicy(options.policy);
    const metadata = parseMetadata(options.metadata);
    const name = options.name ?? '';
    if (typeof name !== 'string' || name.length > 128) {
      throw new InvalidArgumentError({
        argument: 'name',
        value: name,
        message: 'A key name is a string of at most 128 characters.',
      });
    }
    if (options.expiresAt !== undefined && Number.isNaN(options.expiresAt.getTime())) {
      throw new InvalidArgumentError({
        argument: 'expiresAt',
        value: options.expiresAt,
        message: 'expiresAt is not a valid date; use ISO 8601.',
      });
    }
    const { id, key, hash } = generateKey();
    const record: VirtualKey = {
      id,
      tenantId: tenant.id,
      name,
      scopes,
      policy,
      metadata,
      createdAt: new Date(this.now()),
      expiresAt: options.expiresAt,
      revokedAt: undefined,
    };
    await this.database.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO gateway_keys (id, tenant_id, name, hash, scopes, policy, metadata, created_ms, expires_ms, revoked_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)',
        [
          id,
          tenant.id,
          name,
          hash,
          JSON.stringify(scopes),
          JSON.stringify(policy),
          JSON.stringify(metadata),
          record.createdAt.getTime(),
          options.expiresAt?.getTime() ?? null,
        ],
      );
      await this.audit.appendIn(tx, {
        action: 'admin.key.create',
        keyId: actor.keyId,
        tenantId: tenant.id,
        clientIp: actor.clientIp,
        details: {
          createdKeyId: id,
          name,
          scopes,
          policy,
          expiresAt: options.expiresAt?.toISOString(),
          via: actor.via ?? 'api',
        },
      });
    });
    return { key, record };
  }

  async list(options: { tenant?: string } = {}): Promise<VirtualKey[]> {
    const tenantId =
      options.tenant === undefined ? null : (await this.tenants.require(options.tenant)).id;
    const rows = await this.database.query<KeyRow>(
      'SELECT * FROM gateway_keys WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY created_ms, id',
      [tenantId],
    );
    return rows.map(toVirtualKey);
  }

  async getRow(id: string): Promise<KeyRow | undefined> {
    const [row] = await this.database.query<KeyRow>('SELECT * FROM gateway_keys WHERE id = $1', [
      id,
    ]);
    return row;
  }

  /** Revokes a key at once; requests already running finish. */
  async revoke(id: string, actor: Actor = {}): Promise<VirtualKey> {
    return this.database.transaction(async (tx) => {
      const [row] = await tx.query<KeyRow>('SELECT * FROM gateway_keys WHERE id = $1 FOR UPDATE', [
        id,
      ]);
      if (!row)
        throw new GatewayNotFoundError({
          message: `No key with id "${id}". List keys with "llmr keys list".`,
        });
      if (row.revoked_ms === null) {
        row.revoked_ms = this.now();
        await tx.query('UPDATE gateway_keys SET revoked_ms = $1 WHERE id = $2', [
          row.revoked_ms,
          id,
        ]);
        await this.audit.appendIn(tx, {
          action: 'admin.key.revoke',
          keyId: actor.keyId,
          tenantId: row.tenant_id,
          clientIp: actor.clientIp,
          details: { revokedKeyId: id, via: actor.via ?? 'api' },
        });
      }
      return toVirtualKey(row);
    });
  }
}
