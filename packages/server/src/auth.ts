/**
 * API keys: kept only as SHA-256 digests, compared in constant time. A key is given as
 * the key itself or as `sha256:<hex>` (so config files need not hold secrets).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '@llmr/core';

export interface ApiKeyStore {
  readonly enabled: boolean;
  /** The matching key's id (first 12 hex digits of its digest), or undefined. */
  verify(presented: string | undefined): string | undefined;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * A malformed `sha256:` entry stops the server: dropping it silently would turn auth off
 * when every configured key is malformed, and serve a model to anyone.
 */
function parseKey(key: string, index: number): Buffer {
  if (!key.startsWith('sha256:')) return digest(key);
  const hex = key.slice(7);
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new InvalidArgumentError({
      argument: 'apiKeys',
      value: `apiKeys[${index}]`,
      message: `API key #${index + 1} starts with "sha256:" but is not followed by 64 hex digits (got ${hex.length} characters). Give the SHA-256 digest of the key in hex (e.g. \`printf %s "$KEY" | sha256sum\`), or the key itself.`,
    });
  return Buffer.from(hex, 'hex');
}

export function createApiKeyStore(keys: readonly string[]): ApiKeyStore {
  const digests = keys
    .map((key) => key.trim())
    .filter((key) => key.length > 0)
    .map(parseKey);
  return {
    enabled: digests.length > 0,
    verify(presented) {
      if (!presented) return undefined;
      const candidate = digest(presented);
      let match: Buffer | undefined;
      // Compare against every key, always, so timing says nothing about which matched.
      for (const stored of digests) if (timingSafeEqual(stored, candidate)) match = stored;
      return match?.toString('hex').slice(0, 12);
    },
  };
}

/**
 * `Authorization: Bearer <key>` or `x-api-key: <key>`; for WebSocket upgrades only, also
 * `?api_key=<key>`, because browsers cannot set headers on a WebSocket.
 */
export function presentedKey(
  headers: Record<string, string | string[] | undefined>,
  query?: unknown,
): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  if (typeof header === 'string') return header;
  const fromQuery = (query as { api_key?: unknown } | undefined)?.api_key;
  return typeof fromQuery === 'string' && fromQuery.length > 0 ? fromQuery : undefined;
}

/** A URL with its `api_key` query value hidden, for logs. */
export function redactApiKey(url: string): string {
  return url.replace(/([?&]api_key=)[^&#]*/gi, '$1[REDACTED]');
}
