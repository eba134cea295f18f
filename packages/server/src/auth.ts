/**
 * API keys: kept only as SHA-256 digests, compared in constant time. A key is given as
 * the key itself or as `sha256:<hex>` (so config files need not hold secrets).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface ApiKeyStore {
  readonly enabled: boolean;
  /** The matching key's id (first 12 hex digits of its digest), or undefined. */
  verify(presented: string | undefined): string | undefined;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function createApiKeyStore(keys: readonly string[]): ApiKeyStore {
  const digests = keys
    .map((key) => key.trim())
    .filter((key) => key.length > 0)
    .map((key) => (key.startsWith('sha256:') ? Buffer.from(key.slice(7), 'hex') : digest(key)))
    .filter((buffer) => buffer.length === 32);
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
