import { describe, expect, it } from 'vitest';
import { findPii, passesIbanChecksum, passesLuhn, redactPii } from './pii-detectors';

describe('PII detectors', () => {
  it('check cards with Luhn and IBANs with mod 97', () => {
    expect(passesLuhn('4111 1111 1111 1111')).toBe(true);
    expect(passesLuhn('4111 1111 1111 1112')).toBe(false);
    expect(passesIbanChecksum('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(passesIbanChecksum('GB82WEST12345698765432')).toBe(true);
    expect(passesIbanChecksum('DE89 3704 0044 0532 0130 01')).toBe(false);
  });

  it('find each kind, and leave look-alikes that fail their checksum', () => {
    const text =
      'Mail ada@example.org or call +44 20 7946 0958. Card 4111-1111-1111-1111, not order 4111-1111-1111-1112. ' +
      'IBAN DE89 3704 0044 0532 0130 00. key sk-proj-abcdefghijklmnopqrstuvwx and AKIAIOSFODNN7EXAMPLE, token: 9f8e7d6c5b4a39281706';
    const found = findPii(text).map(({ kind, text: value }) => [kind, value]);
    expect(found).toEqual([
      ['email', 'ada@example.org'],
      ['phone', '+44 20 7946 0958'],
      ['card', '4111-1111-1111-1111'],
      ['iban', 'DE89 3704 0044 0532 0130 00'],
      ['api-key', 'sk-proj-abcdefghijklmnopqrstuvwx'],
      ['api-key', 'AKIAIOSFODNN7EXAMPLE'],
      ['api-key', '9f8e7d6c5b4a39281706'],
    ]);
    // Years, versions, short numbers and a failed-Luhn order number are left alone.
    expect(findPii('In 2024 version 1.2.3 shipped 42 items, order 4111-1111-1111-1112.')).toEqual(
      [],
    );
  });

  it('redact in place, keeping what the caller allows', () => {
    const { text, matches } = redactPii(
      'Write to ada@example.org, cc support@llmr.dev.',
      undefined,
      (match) => match.text === 'support@llmr.dev',
    );
    expect(text).toBe('Write to [REDACTED:email], cc support@llmr.dev.');
    expect(matches).toHaveLength(1);
    expect(redactPii('call 555-123-4567', ['email']).text).toBe('call 555-123-4567');
  });

  it('finish on long hostile input (a backtracking pattern would exceed the test timeout)', () => {
    const hostile = `${'1 '.repeat(20_000)}${'a@'.repeat(20_000)}${'+1-'.repeat(20_000)}`;
    expect(findPii(hostile)).toEqual([]);
    expect(findPii(`${'x'.repeat(50_000)}@example.org`)).toEqual([]);
  });
});
