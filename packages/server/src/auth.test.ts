import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createApiKeyStore } from './auth';

const hex = (key: string) => createHash('sha256').update(key).digest('hex');

describe('API key store', () => {
  it('accepts raw keys and sha256: digests', () => {
    const store = createApiKeyStore(['raw-key', `sha256:${hex('hashed-key')}`, '  ']);
    expect(store.enabled).toBe(true);
    expect(store.verify('raw-key')).toBe(hex('raw-key').slice(0, 12));
    expect(store.verify('hashed-key')).toBe(hex('hashed-key').slice(0, 12));
    expect(store.verify('other')).toBeUndefined();
  });

  it.each([
    ['too short', 'sha256:abcd'],
    ['not hex', `sha256:${'z'.repeat(64)}`],
    ['empty', 'sha256:'],
  ])('refuses a malformed sha256: entry (%s) instead of dropping it', (_case, key) => {
    // Dropped silently, the only key being malformed would turn auth off.
    expect(() => createApiKeyStore([key])).toThrow(/64 hex digits/);
    expect(() => createApiKeyStore(['good', key])).toThrow(/API key #2/);
  });
});
