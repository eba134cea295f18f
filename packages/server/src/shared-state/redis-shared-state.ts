/**
 * SharedState on Redis, through node-redis (`redis`, the client the router's Redis cache
 * store prefers; an optional peer dependency imported on first use). Commands fail fast
 * while the connection is down (no offline queue) and time out, so a caller can fall
 * back at once instead of queueing requests behind a dead Redis; the client keeps
 * reconnecting in the background.
 */
import { LlmrError } from '@llmr/core';
import { RESERVE_SCRIPT, SETTLE_SCRIPT } from './rate-limit-scripts';
import { RATE_WINDOW_MS, type RateLimitDecision, type SharedState } from './shared-state';

export interface RedisSharedStateOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Every key starts with this. Default `llmr:`. */
  keyPrefix?: string;
  /**
   * A command slower than this fails (and the server degrades). Default 2000 ms: long
   * enough that a busy event loop is not mistaken for a dead Redis.
   */
  commandTimeoutMs?: number;
}

export interface RedisSharedState extends SharedState {
  /** Resolves when Redis answers PING. */
  ping(): Promise<void>;
}

/** KEYS[1]; ARGV: value, ttl ms. The held value with its expiry renewed, else ARGV[1] stored. */
const CLAIM_SCRIPT = `local held = redis.call('GET', KEYS[1])
if not held then held = ARGV[1] end
redis.call('SET', KEYS[1], held, 'PX', ARGV[2])
return held`;

interface NodeRedisClient {
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  destroy?(): void;
  disconnect?(): Promise<void>;
  readonly isReady: boolean;
}

async function importRedis(): Promise<{ createClient(options: object): NodeRedisClient }> {
  // A variable specifier keeps bundlers and the type checker from requiring the package.
  const specifier = 'redis';
  try {
    const imported = (await import(specifier)) as {
      createClient?: (options: object) => NodeRedisClient;
      default?: { createClient?: (options: object) => NodeRedisClient };
    };
    const createClient = imported.createClient ?? imported.default?.createClient;
    if (!createClient) throw new Error('the module has no createClient export');
    return { createClient };
  } catch (error) {
    throw new LlmrError({
      code: 'missing-dependency',
      message: `Sharing state through Redis needs the \`redis\` package (${(error as Error).message}). Install it next to @llmr/server: pnpm add redis`,
      cause: error,
    });
  }
}

export async function createRedisSharedState(
  options: RedisSharedStateOptions,
): Promise<RedisSharedState> {
  const prefix = options.keyPrefix ?? 'llmr:';
  const timeoutMs = options.commandTimeoutMs ?? 2_000;
  let parsed: URL;
  try {
    parsed = new URL(options.url);
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error('scheme');
  } catch {
    throw new LlmrError({
      code: 'invalid-argument',
      message: `"${options.url.replace(/\/\/[^@/]*@/, '//***@')}" is not a Redis URL. Give redis://host:port (or rediss:// for TLS).`,
    });
  }
  const { createClient } = await importRedis();
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      // Keep trying for as long as the server runs: Redis coming back ends degraded mode.
      reconnectStrategy: (retries: number) => Math.min(1_000, 50 * 2 ** retries),
    },
  });
  client.on('error', () => {}); // Failures surface through commands, which the caller handles.
  // Not awaited: a Redis that is down at start must not stop the server from starting.
  client.connect().catch(() => {});

  const command = (args: string[]): Promise<unknown> => {
    if (!client.isReady)
      return Promise.reject(new Error(`Redis at ${parsed.host} is not connected`));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return Promise.race([client.sendCommand(args), timeout]).finally(() => clearTimeout(timer));
  };

  const rateKeys = (key: string) => {
    const base = `${prefix}rate:{${key}}`;
    return [`${base}:requests`, `${base}:reservations`, `${base}:amounts`, `${base}:tokens`];
  };

  return {
    name: 'redis',
    async reserve({ key, id, tokens, limits }) {
      const reply = (await command([
        'EVAL',
        RESERVE_SCRIPT,
        '4',
        ...rateKeys(key),
        String(RATE_WINDOW_MS),
        String(limits.requestsPerMinute ?? -1),
        String(limits.tokensPerMinute ?? -1),
        String(Math.max(0, Math.round(tokens))),
        id,
      ])) as [string, number, number, number, number];
      const decision: RateLimitDecision = {
        allowed: reply[0] === '',
        requestsUsed: Number(reply[1]),
        tokensUsed: Number(reply[2]),
        resetRequestsMs: Number(reply[3]),
        resetTokensMs: Number(reply[4]),
      };
      if (reply[0] === 'requests' || reply[0] === 'tokens') decision.exceeded = reply[0];
      return decision;
    },
    async settle(key, id, tokens) {
      await command([
        'EVAL',
        SETTLE_SCRIPT,
        '4',
        ...rateKeys(key),
        String(RATE_WINDOW_MS),
        id,
        String(Math.max(0, Math.round(tokens))),
      ]);
    },
    async get(key) {
      const value = await command(['GET', prefix + key]);
      return value == null ? undefined : String(value);
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      const values = (await command(['MGET', ...keys.map((key) => prefix + key)])) as unknown[];
      return values.map((value) => (value == null ? undefined : String(value)));
    },
    async set(key, value, ttlMs) {
      await command(['SET', prefix + key, value, 'PX', String(Math.max(1, Math.round(ttlMs)))]);
    },
    async claim(key, value, ttlMs) {
      const ttl = String(Math.max(1, Math.round(ttlMs)));
      return String(await command(['EVAL', CLAIM_SCRIPT, '1', prefix + key, value, ttl]));
    },
    async delete(key) {
      await command(['DEL', prefix + key]);
    },
    async ping() {
      await command(['PING']);
    },
    status: () => ({ mode: 'redis' }),
    async close() {
      if (client.destroy) client.destroy();
      else await client.disconnect?.().catch(() => {});
    },
  };
}
