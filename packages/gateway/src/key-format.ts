/**
 * Virtual keys look like `llmr-sk-<id>-<secret>`: the id (public, 12 hex digits) finds
 * the record, the whole key's SHA-256 proves it. Only the digest is stored, so a leaked
 * database leaks no usable key; the key itself is shown once, when it is created.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'llmr-sk-';
const KEY_PATTERN = /^llmr-sk-([0-9a-f]{12})-([A-Za-z0-9_-]{32,64})$/;
/** Longer strings are refused before hashing, so a header cannot make us hash megabytes. */
const MAX_KEY_LENGTH = 128;

export function generateKey(): { id: string; key: string; hash: string } {
  const id = randomBytes(6).toString('hex');
  const key = `${PREFIX}${id}-${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashKey(key) };
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key's id, or undefined when the string is not shaped like a gateway key. */
export function parseKeyId(presented: string): string | undefined {
  if (presented.length > MAX_KEY_LENGTH) return undefined;
  return KEY_PATTERN.exec(presented)?.[1];
}

/** Compares digests in constant time. */
export function keyMatches(presented: string, storedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'hex');
  const candidate = Buffer.from(hashKey(presented), 'hex');
  return stored.length === candidate.length && timingSafeEqual(stored, candidate);
}
