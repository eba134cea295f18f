/** What `createServer` takes and what it returns. */
import type { Gateway } from '@llmr/gateway';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Access } from './access';
import type { ServerBackend } from './backend';
import type { GatewayMeter } from './gateway-meter';
import type { GenerationCore, InFlightRequest } from './generation';
import type { RateLimits } from './rate-limiter';
import type { ConsoleOptions } from './routes/console-routes';
import type { RedisOptions } from './shared-state/create-shared-state';
import type {
  StickyAssignments,
  StickyAssignmentsOptions,
} from './shared-state/sticky-assignments';

export interface ServerOptions {
  backend: ServerBackend;
  /** API keys (raw or `sha256:<hex>`). Empty: no auth. Default: LLMR_API_KEYS (comma-separated). */
  apiKeys?: string[];
  limits?: RateLimits;
  /** Maximum request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** Allowed CORS origins; default: localhost and 127.0.0.1 on any port only. `false`: no CORS. */
  corsOrigins?: (string | RegExp)[] | false;
  /** pino logger options, or false for none (default: info level JSON logs). */
  logger?: boolean | Record<string, unknown>;
  /** How long shutdown waits for in-flight streams before aborting them (default 10 s). */
  shutdownDeadlineMs?: number;
  /**
   * Host names to answer for when listening on loopback, besides localhost and loopback
   * addresses (other names are refused: DNS rebinding). Default none.
   */
  allowedHosts?: string[];
  /** Requests one WebSocket may run at once (default 16). */
  maxConcurrentPerSocket?: number;
  /** Serve the web console (`@llmr/web`'s build) at `/`. Default: off. */
  console?: ConsoleOptions | false;
  /**
   * Tenants, virtual keys, scopes, limits, budgets, usage and audit (`@llmr/gateway`). It
   * replaces `apiKeys`: every route but health, readiness and the docs needs a gateway key.
   */
  gateway?: Gateway;
  /**
   * Share rate limits and circuit breakers with other replicas through Redis (a URL, or
   * options). Default: LLMR_REDIS_URL; without either, state stays in this process.
   */
  redis?: string | RedisOptions;
  /** This replica's name in shared health marks. Default `<hostname>-<pid>`. */
  replicaId?: string;
  timeouts?: ServerTimeouts;
}

/** Every wait a client or a model can impose on the server is bounded. */
export interface ServerTimeouts {
  /** Receiving one whole request (headers and body). Default 30 s. */
  requestMs?: number;
  /** Receiving the request headers. Default 15 s. */
  headersMs?: number;
  /** An idle socket (no bytes either way). Default 120 s. */
  connectionMs?: number;
  /** An idle keep-alive connection between requests. Default 5 s. */
  keepAliveMs?: number;
  /** Open connections at once; more are refused. Default 4096. */
  maxConnections?: number;
  /** One generation, start to end (queueing included). Default 600 s. */
  generationMs?: number;
  /** An SSE or WebSocket write waiting on a client that stopped reading. Default 30 s. */
  writeStallMs?: number;
  /** WebSocket ping interval; a peer that misses one pong is disconnected. Default 30 s. */
  websocketPingMs?: number;
  /** A GraphQL subscription socket that sends no `connection_init` is closed (4408). Default 10 s. */
  graphqlConnectionInitMs?: number;
}

export interface LlmrServer {
  app: FastifyInstance;
  /** The Prometheus registry behind /metrics: add series here to publish them beside the server's. */
  metricsRegistry: Registry;
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Stop accepting, let in-flight streams finish up to the deadline, dispose models. */
  shutdown(): Promise<void>;
  inFlight(): InFlightRequest[];
  /**
   * What other transports beside this app (the gRPC server) share with it: the backend,
   * the one generation core (in-flight list, metrics, usage), the access rules (API
   * keys, rate limits, draining) and, with a gateway, its meter (keys, model globs,
   * limits, budgets, charging).
   */
  readonly shared: {
    backend: ServerBackend;
    core: GenerationCore;
    access: Access;
    gateway?: GatewayMeter;
  };
  readonly replicaId: string;
  /**
   * A map from subjects (users, sessions) to values they keep (a variant, a model), in
   * the shared state: with Redis, every replica answers a subject the same way.
   */
  stickyAssignments(options?: StickyAssignmentsOptions): StickyAssignments;
}
