/**
 * The gateway in a Fastify server. Authentication and scopes run in `onRequest`, before
 * the body is read, so a caller without a valid key can neither make the server parse a
 * large body nor learn how it would be validated. Model permission, rate limits and hard
 * budgets run in `preValidation` (the model is in the body); the request is charged when
 * its response closes, finished or aborted, with the tokens it got.
 *
 * Registered at the root (the plugin skips Fastify's encapsulation), its hooks cover every
 * route, the 404 handler included.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Admission, Gateway, Principal } from '../gateway';
import type { Scope } from '../policy';
import { registerAdminRoutes } from './admin-routes';
import { sendGatewayError } from './error-reply';
import { type TappedUsage, tapUsage } from './usage-tap';

export interface GatewayPluginOptions {
  gateway: Gateway;
  /**
   * The scope a request needs, or `undefined` for a public route. Default: health probes
   * are public, `/api/admin/*` needs `admin`, `/metrics` needs `metrics`, all else `inference`.
   */
  scopeFor?: (request: { method: string; path: string }) => Scope | undefined;
  /** Serve the admin API under /api/admin (default true). */
  adminRoutes?: boolean;
}

/** What the gateway knows about a request, on `request.gateway`. */
export interface GatewayRequestState {
  principal: Principal;
  admission?: Admission;
  /** Usage read off the response; a route may overwrite it with exact numbers. */
  usage: TappedUsage & { modelsTried?: string[]; content?: string };
  /**
   * Set by a route that knows better (the model's own counts, the router's attempts); read
   * when the response closes, so values that arrive late in a stream still count (it may
   * count them then: the prompt of a stream cut short). Defined fields win over what was
   * read off the response.
   */
  resolveUsage?: () => GatewayUsageUpdate | Promise<GatewayUsageUpdate>;
}

export type GatewayUsageUpdate = {
  [Field in keyof GatewayUsageReport]?: GatewayUsageReport[Field] | undefined;
};

export interface GatewayUsageReport {
  model: string;
  modelsTried: string[];
  inputTokens: number;
  outputTokens: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    gateway: GatewayRequestState | undefined;
  }
}

// Probes, and the API's own description (a browser cannot send a bearer key to a docs page).
const PUBLIC_PATHS = new Set([
  '/health',
  '/healthz',
  '/ready',
  '/readyz',
  '/livez',
  '/openapi.json',
]);

export function defaultScopeFor({ path }: { method: string; path: string }): Scope | undefined {
  if (PUBLIC_PATHS.has(path) || path === '/docs' || path.startsWith('/docs/')) return undefined;
  if (path === '/api/admin' || path.startsWith('/api/admin/')) return 'admin';
  if (path === '/metrics') return 'metrics';
  return 'inference';
}

/** `Authorization: Bearer <key>` or `x-api-key`; `?api_key=` only on WebSocket upgrades, which cannot set headers. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  if (String(request.headers.upgrade ?? '').toLowerCase() === 'websocket') {
    const value = (request.query as { api_key?: unknown } | undefined)?.api_key;
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function requestedModel(request: FastifyRequest): string | undefined {
  const fromBody = (request.body as { model?: unknown } | undefined)?.model;
  if (typeof fromBody === 'string' && fromBody.length > 0) return fromBody;
  const fromParams = (request.params as { model?: unknown } | undefined)?.model;
  return typeof fromParams === 'string' && fromParams.length > 0 ? fromParams : undefined;
}

function pathOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

async function gatewayPlugin(app: FastifyInstance, options: GatewayPluginOptions): Promise<void> {
  const { gateway } = options;
  const scopeFor = options.scopeFor ?? defaultScopeFor;
  app.decorateRequest('gateway', undefined);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const scope = scopeFor({ method: request.method, path: pathOf(request.url) });
    if (scope === undefined) return;
    try {
      const principal = await gateway.authenticate(presentedKey(request));
      gateway.authorize(principal, scope);
      request.gateway = { principal, usage: tapUsage(reply.raw) };
    } catch (error) {
      return sendGatewayError(reply, error);
    }
  });

  app.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    const state = request.gateway;
    if (!state || request.method !== 'POST') return;
    const model = requestedModel(request);
    if (model === undefined) return;
    const route = request.routeOptions.url ?? pathOf(request.url);
    try {
      state.admission = await gateway.admit(state.principal, {
        model,
        route,
        clientIp: request.ip,
        onAuditError: (auditError) =>
          request.log.error({ err: auditError }, 'gateway audit write failed'),
      });
    } catch (error) {
      return sendGatewayError(reply, error);
    }
    const admission = state.admission;
    // `close` fires once whether the response finished or the client went away mid-stream.
    reply.raw.once('close', () => {
      const aborted = !reply.raw.writableFinished;
      const settle = async () => {
        const usage = { ...state.usage };
        for (const [field, value] of Object.entries((await state.resolveUsage?.()) ?? {})) {
          if (value !== undefined) Object.assign(usage, { [field]: value });
        }
        await admission.finish({
          model: usage.model ?? model,
          ...(usage.modelsTried ? { modelsTried: usage.modelsTried } : {}),
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          status: aborted ? 499 : reply.statusCode,
          ...(usage.content === undefined ? {} : { content: usage.content }),
          details: {
            requestId: request.id,
            ...(aborted ? { aborted: true } : {}),
            exactUsage: usage.exact,
          },
        });
      };
      settle().catch((error: unknown) =>
        request.log.error({ err: error }, 'gateway usage write failed'),
      );
    });
  });

  if (options.adminRoutes !== false) registerAdminRoutes(app, gateway);
}

// Hooks and the request decoration apply to the whole server, not only this plugin's scope.
Object.assign(gatewayPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@llmr/gateway',
});

export { gatewayPlugin };
