/**
 * Which Redis `llmr serve` shares its limits and breakers through: `--redis <url>`, else
 * `LLMR_REDIS_URL`, else the config file's `redis:` section, else none (state stays in the
 * process). The section is a URL or `{ url, failMode, keyPrefix }`; `--redis-fail-mode`
 * wins over its `failMode`.
 */
import { InvalidArgumentError } from '@llmr/core';

export interface ServeRedis {
  url: string;
  failMode?: 'open' | 'closed';
  keyPrefix?: string;
}

export interface ServeRedisSources {
  flag?: string;
  failModeFlag?: 'open' | 'closed';
  env?: string;
  /** The config file's `redis:` section, as parsed. */
  section?: unknown;
  /** The config file, for error messages. */
  file?: string;
}

const REDIS_URL = /^rediss?:\/\/\S+$/;
const SECTION_KEYS = new Set(['url', 'failMode', 'keyPrefix']);

export function resolveServeRedis(sources: ServeRedisSources): ServeRedis | undefined {
  const fromSection = sources.section === undefined ? undefined : parseSection(sources);
  const url = sources.flag || sources.env || fromSection?.url;
  if (!url) return undefined;
  const failMode = sources.failModeFlag ?? fromSection?.failMode;
  return {
    url,
    ...(failMode ? { failMode } : {}),
    ...(fromSection?.keyPrefix !== undefined ? { keyPrefix: fromSection.keyPrefix } : {}),
  };
}

function parseSection({ section, file = 'the config file' }: ServeRedisSources): ServeRedis {
  const fail = (field: string, value: unknown, what: string): never => {
    throw new InvalidArgumentError({
      argument: '--config',
      value: file,
      message: `${file}: ${field} ${what}; got ${JSON.stringify(value)?.slice(0, 80)}.`,
    });
  };
  const checkUrl = (field: string, value: unknown): string => {
    if (typeof value !== 'string' || !REDIS_URL.test(value))
      return fail(
        field,
        value,
        'must be a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379)',
      );
    return value as string;
  };
  if (typeof section === 'string') return { url: checkUrl('redis', section) };
  if (section === null || typeof section !== 'object' || Array.isArray(section))
    return fail('redis', section, 'must be a URL or { url, failMode, keyPrefix }');
  const record = section as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!SECTION_KEYS.has(key))
      fail(`redis.${key}`, record[key], 'is not a known field (url, failMode, keyPrefix)');
  const parsed: ServeRedis = { url: checkUrl('redis.url', record.url) };
  if (record.failMode !== undefined) {
    if (record.failMode !== 'open' && record.failMode !== 'closed')
      fail('redis.failMode', record.failMode, 'must be open or closed');
    parsed.failMode = record.failMode as 'open' | 'closed';
  }
  if (record.keyPrefix !== undefined) {
    if (typeof record.keyPrefix !== 'string' || record.keyPrefix.length === 0)
      fail('redis.keyPrefix', record.keyPrefix, 'must be a non-empty string');
    parsed.keyPrefix = record.keyPrefix as string;
  }
  return parsed;
}
