/**
 * The response-id registry in Redis, so feedback posted to any replica finds a response
 * another replica served. One key per response (`SET ... EX`): the TTL bounds how long
 * responses can be rated and, with the bounded record size, how much Redis holds. Recent
 * responses are kept in process too, so feedback to the replica that served them needs no
 * round trip.
 */
import { ObservabilityError } from '../errors';
import { RedisConnection, type RedisConnectionOptions } from '../redis/redis-connection';
import {
  MemoryResponseRegistry,
  type ResponseRecord,
  type ResponseRegistry,
} from './response-registry';

export interface RedisResponseRegistryOptions extends RedisConnectionOptions {
  /** Key prefix; default `llmr:responses:`. */
  keyPrefix?: string;
  /** How long a response can be rated, in seconds; default 7 days. */
  ttlSeconds?: number;
  /** Responses also kept in this process; default 10,000. */
  localResponses?: number;
  /**
   * A miss is asked again once after this long (ms; default 50): feedback that races the
   * serving replica's write (a client that rates at once, through another replica) still
   * finds it. 0 asks once.
   */
  missRetryMs?: number;
  /** Reports a write that failed (the request itself never fails for it). */
  onError?: (error: unknown) => void;
}

/** Longest field kept (ids, model and route names, tags): a record never grows past a few KB. */
const MAX_FIELD_LENGTH = 512;
/** A stored value longer than this is not ours: refuse to parse it. */
const MAX_RECORD_BYTES = 8 * 1024;

function bounded(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.slice(0, MAX_FIELD_LENGTH);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A stored record read back, checked field by field (another writer may share the prefix). */
function parseRecord(responseId: string, raw: string): ResponseRecord | undefined {
  if (raw.length > MAX_RECORD_BYTES) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || typeof value.model !== 'string')
    return undefined;
  const experiment = value.experiment as { id?: unknown; variant?: unknown } | undefined;
  const route = optionalString(value.route);
  const tenant = optionalString(value.tenant);
  const taskTag = optionalString(value.taskTag);
  return {
    responseId,
    model: value.model,
    ...(route ? { route } : {}),
    ...(tenant ? { tenant } : {}),
    ...(taskTag ? { taskTag } : {}),
    ...(typeof experiment?.id === 'string' && typeof experiment.variant === 'string'
      ? { experiment: { id: experiment.id, variant: experiment.variant } }
      : {}),
    createdAt: typeof value.createdAt === 'number' ? value.createdAt : 0,
  };
}

export class RedisResponseRegistry implements ResponseRegistry {
  private readonly connection: RedisConnection;
  private readonly local: MemoryResponseRegistry;
  private readonly prefix: string;
  private readonly ttl: string;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: RedisResponseRegistryOptions = {}) {
    const ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3_600;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new ObservabilityError({
        code: 'invalid-response-registry-config',
        message: `ttlSeconds must be a positive whole number of seconds, got ${String(ttlSeconds)}.`,
      });
    }
    this.ttl = String(ttlSeconds);
    this.prefix = options.keyPrefix ?? 'llmr:responses:';
    this.local = new MemoryResponseRegistry({ maxResponses: options.localResponses ?? 10_000 });
    this.connection = new RedisConnection(
      options,
      'response registry',
      'response-registry-unavailable',
    );
  }

  register(record: ResponseRecord): void {
    this.local.register(record);
    const value = JSON.stringify({
      model: bounded(record.model),
      route: bounded(record.route),
      tenant: bounded(record.tenant),
      taskTag: bounded(record.taskTag),
      experiment: record.experiment
        ? { id: bounded(record.experiment.id), variant: bounded(record.experiment.variant) }
        : undefined,
      createdAt: record.createdAt,
    });
    const write = this.connection
      .client()
      .then((client) =>
        client.sendCommand(['SET', this.prefix + record.responseId, value, 'EX', this.ttl]),
      )
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  async lookup(responseId: string): Promise<ResponseRecord | undefined> {
    const local = this.local.lookup(responseId);
    if (local) return local;
    const found = await this.read(responseId);
    const retryMs = this.options.missRetryMs ?? 50;
    if (found || retryMs <= 0) return found;
    await new Promise((resolve) => setTimeout(resolve, retryMs));
    return this.read(responseId);
  }

  private async read(responseId: string): Promise<ResponseRecord | undefined> {
    const client = await this.connection.client();
    let raw: unknown;
    try {
      raw = await client.sendCommand(['GET', this.prefix + responseId]);
    } catch (error) {
      throw new ObservabilityError({
        code: 'response-registry-unavailable',
        isRetryable: true,
        message: `Could not read response "${responseId}" from Redis: ${(error as Error).message}. Check that Redis is running, then send the feedback again.`,
        cause: error,
      });
    }
    return typeof raw === 'string' ? parseRecord(responseId, raw) : undefined;
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.connection.close();
  }
}
