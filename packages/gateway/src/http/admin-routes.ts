/**
 * The admin API under /api/admin: tenants, keys (created keys are shown once), usage
 * and the audit log (list, verify, export as JSON lines). The plugin's `onRequest` hook
 * has already required the `admin` scope; every change is audited with the admin's key.
 */
import { InvalidArgumentError } from '@llmr/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Gateway } from '../gateway';
import type { Policy, Scope } from '../policy';
import type { Actor } from '../tenant-store';
import { errorBody, errorStatus, sendGatewayError } from './error-reply';

/** Admin bodies are small JSON objects; refuse big ones before parsing them. */
const ADMIN_BODY_LIMIT = 64 * 1024;

function actorOf(request: FastifyRequest): Actor {
  const principal = request.gateway?.principal;
  return {
    via: 'api',
    clientIp: request.ip,
    ...(principal ? { keyId: principal.key.id, tenantId: principal.tenant.id } : {}),
  };
}

/** `from`/`to` as ISO 8601 or milliseconds since the epoch. */
export function parseTime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  const milliseconds = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(milliseconds)) {
    throw new InvalidArgumentError({
      argument: name,
      value,
      message: `${name}: "${text}" is not a time; use ISO 8601 (2026-03-01T00:00:00Z) or milliseconds since the epoch.`,
    });
  }
  return milliseconds;
}

/** `from`, `to` and `tenant` of a query string, as the stores take them. */
async function rangeOf(gateway: Gateway, query: Record<string, unknown>) {
  const fromMs = parseTime(query.from, 'from');
  const toMs = parseTime(query.to, 'to');
  const tenantName = text(query.tenant);
  const tenantId = tenantName ? (await gateway.tenants.require(tenantName)).id : undefined;
  return {
    ...(fromMs === undefined ? {} : { fromMs }),
    ...(toMs === undefined ? {} : { toMs }),
    ...(tenantId ? { tenantId } : {}),
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError({
      argument: 'body',
      value: body,
      message: 'Expected a JSON object body.',
    });
  }
  return body as Record<string, unknown>;
}

export function registerAdminRoutes(app: FastifyInstance, gateway: Gateway): void {
  const route = { bodyLimit: ADMIN_BODY_LIMIT };
  app.register(async (admin) => {
    admin.setErrorHandler((error, _request, reply) => {
      const status = errorStatus(error);
      if (status !== 500) return sendGatewayError(reply, error);
      // Fastify's own errors (a malformed JSON body, a body over the limit) keep their status.
      const statusCode = (error as { statusCode?: number }).statusCode;
      if (statusCode && statusCode < 500) {
        return reply.code(statusCode).send({
          error: {
            message: (error as Error).message,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
      }
      reply.log.error({ err: error }, 'admin request failed');
      return reply.code(500).send(errorBody(error));
    });

    admin.get('/api/admin/tenants', route, async () => ({ data: await gateway.tenants.list() }));
    admin.post('/api/admin/tenants', route, async (request, reply) => {
      const body = objectBody(request);
      const tenant = await gateway.tenants.create(
        {
          name: body.name as string,
          policy: body.policy as Policy,
          metadata: body.metadata as Record<string, unknown>,
          storeContent: body.storeContent === true,
        },
        actorOf(request),
      );
      return reply.code(201).send(tenant);
    });

    admin.get('/api/admin/keys', route, async (request) => {
      const query = request.query as { tenant?: unknown };
      const tenant = text(query.tenant);
      return { data: await gateway.keys.list(tenant ? { tenant } : {}) };
    });
    admin.post('/api/admin/keys', route, async (request, reply) => {
      const body = objectBody(request);
      const expiresAt = parseTime(body.expiresAt, 'expiresAt');
      const created = await gateway.keys.create(
        {
          tenant: String(body.tenant ?? ''),
          ...(typeof body.name === 'string' ? { name: body.name } : {}),
          ...(body.scopes === undefined ? {} : { scopes: body.scopes as Scope[] }),
          policy: body.policy as Policy,
          metadata: body.metadata as Record<string, unknown>,
          ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt) }),
        },
        actorOf(request),
      );
      // The only time the key itself is ever sent.
      return reply.code(201).send({ key: created.key, ...created.record });
    });
    const revoke = async (request: FastifyRequest) =>
      gateway.keys.revoke((request.params as { id: string }).id, actorOf(request));
    admin.delete('/api/admin/keys/:id', route, revoke);
    admin.post('/api/admin/keys/:id/revoke', route, revoke);

    admin.get('/api/admin/usage', route, async (request) => {
      const query = request.query as Record<string, unknown>;
      const keyId = text(query.key);
      const model = text(query.model);
      return {
        data: await gateway.usage.query({
          ...(await rangeOf(gateway, query)),
          ...(keyId ? { keyId } : {}),
          ...(model ? { model } : {}),
        }),
      };
    });

    admin.get('/api/admin/audit', route, async (request) => {
      const query = request.query as Record<string, unknown>;
      const limit = Math.min(10_000, Math.max(1, Number(query.limit ?? 100) || 100));
      return { data: await gateway.audit.list({ limit, ...(await rangeOf(gateway, query)) }) };
    });
    admin.get('/api/admin/audit/verify', route, async () => gateway.audit.verify());
    admin.get('/api/admin/audit/export', route, async (request, reply) => {
      const { Readable } = await import('node:stream');
      const range = await rangeOf(gateway, request.query as Record<string, unknown>);
      reply.header('content-type', 'application/x-ndjson; charset=utf-8');
      return reply.send(Readable.from(gateway.audit.exportJsonLines(range)));
    });
  });
}
