/**
 * Finds personal data and secrets in text: e-mail addresses, phone numbers, payment
 * card numbers (Luhn-checked), IBANs (ISO 7064 mod-97-checked) and API-key-shaped
 * secrets. Checksums keep order numbers and long ids from being taken for cards or
 * IBANs. Patterns are linear (no nested quantifiers), so a hostile prompt cannot make
 * them backtrack for long.
 */

export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'api-key';

export const PII_KINDS: readonly PiiKind[] = ['api-key', 'iban', 'card', 'email', 'phone'];

export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
  text: string;
}

/** Luhn checksum over the digits of `text` (separators ignored). */
export function passesLuhn(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** IBAN check: move the first four characters to the end, letters to numbers, mod 97 = 1. */
export function passesIbanChecksum(text: string): boolean {
  const compact = text.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const value = /\d/.test(character) ? character : String(character.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  accept?: (text: string) => boolean;
}

const detectors: Detector[] = [
  {
    kind: 'api-key',
    // Shapes of common provider keys, then a generic `key = <long token>` assignment.
    pattern:
      /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|sk_live_[A-Za-z0-9]{16,})|(?<=\b(?:api[_-]?key|secret|token|password)\s*[:=]\s*["']?)[A-Za-z0-9_\-/+=.]{16,}/gi,
  },
  {
    kind: 'iban',
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g,
    accept: passesIbanChecksum,
  },
  {
    kind: 'card',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    accept: passesLuhn,
  },
  {
    kind: 'email',
    pattern:
      /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/g,
  },
  {
    kind: 'phone',
    // An optional +country code, an optional (area), then 6 to 12 more digits in groups.
    pattern:
      /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\w])/g,
    accept: (text) => {
      const digits = text.replace(/\D/g, '').length;
      // Bare runs of digits without a + or separators are more often ids than phones.
      return digits >= 7 && digits <= 15 && (/[+() .-]/.test(text) || digits >= 10);
    },
  },
];

/** Every match of the wanted kinds, left to right; where two overlap, the earlier kind in PII_KINDS wins. */
export function findPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const detector of detectors) {
    if (!kinds.includes(detector.kind)) continue;
    for (const match of text.matchAll(detector.pattern)) {
      const start = match.index ?? 0;
      const end = start + match[0].length;
      if (detector.accept && !detector.accept(match[0])) continue;
      if (found.some((other) => start < other.end && other.start < end)) continue;
      found.push({ kind: detector.kind, start, end, text: match[0] });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The text with each match replaced by `[REDACTED:<kind>]`, and the matches. */
export function redactPii(
  text: string,
  kinds: readonly PiiKind[] = PII_KINDS,
  keep: (match: PiiMatch) => boolean = () => false,
): { text: string; matches: PiiMatch[] } {
  const matches = findPii(text, kinds).filter((match) => !keep(match));
  let result = '';
  let position = 0;
  for (const match of matches) {
    result += `${text.slice(position, match.start)}[REDACTED:${match.kind}]`;
    position = match.end;
  }
  return { text: result + text.slice(position), matches };
}
