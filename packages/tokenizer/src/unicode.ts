/**
 * Character classes as the Rust `tokenizers` crate sees them. JavaScript's own `\s`, `\w`
 * and `toLowerCase()` differ from Rust's `char` methods in small ways (U+FEFF, U+0085,
 * final sigma), and those small ways change token ids, so the pipeline uses these instead.
 */

/** Rust `char::is_whitespace` (Unicode White_Space). */
export function isWhitespace(codePoint: number): boolean {
  if (codePoint <= 0x20) return codePoint === 0x20 || (codePoint >= 0x09 && codePoint <= 0x0d);
  if (codePoint < 0x85) return false;
  return (
    codePoint === 0x85 ||
    codePoint === 0xa0 ||
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000
  );
}

/** The White_Space set as the body of a regular-expression character class. */
export const WHITESPACE_CLASS =
  '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const punctuation = /^\p{P}$/u;
/** BERT's punctuation: ASCII punctuation or any Unicode P* character. */
export function isBertPunctuation(codePoint: number): boolean {
  if (codePoint < 0x80) {
    return (
      (codePoint >= 0x21 && codePoint <= 0x2f) ||
      (codePoint >= 0x3a && codePoint <= 0x40) ||
      (codePoint >= 0x5b && codePoint <= 0x60) ||
      (codePoint >= 0x7b && codePoint <= 0x7e)
    );
  }
  return punctuation.test(String.fromCodePoint(codePoint));
}

const numeric = /^\p{N}$/u;
/** Rust `char::is_numeric` (Nd, Nl, No). */
export function isNumeric(codePoint: number): boolean {
  if (codePoint < 0x80) return codePoint >= 0x30 && codePoint <= 0x39;
  return numeric.test(String.fromCodePoint(codePoint));
}

// Unassigned code points (Cn) are not controls to the reference.
const other = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
/** BERT's control characters: the C* categories except tab, newline and carriage return. */
export function isBertControl(codePoint: number): boolean {
  if (codePoint === 0x09 || codePoint === 0x0a || codePoint === 0x0d) return false;
  return other.test(String.fromCodePoint(codePoint));
}

/** The CJK ideograph blocks BERT pads with spaces. */
export function isChineseChar(codePoint: number): boolean {
  return (
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x20000 && codePoint <= 0x2a6df) ||
    (codePoint >= 0x2a700 && codePoint <= 0x2b73f) ||
    (codePoint >= 0x2b740 && codePoint <= 0x2b81f) ||
    (codePoint >= 0x2b920 && codePoint <= 0x2ceaf) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0x2f800 && codePoint <= 0x2fa1f)
  );
}

/** Rust regex `\w` (Unicode): Alphabetic, marks, decimal digits, connector punctuation, joiners. */
export const RUST_WORD_CLASS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\u200c\\u200d';
const rustWord = new RegExp(`^[${RUST_WORD_CLASS}]$`, 'u');
export function isRustWordChar(codePoint: number): boolean {
  if (codePoint < 0x80) {
    return (
      (codePoint >= 0x30 && codePoint <= 0x39) ||
      (codePoint >= 0x41 && codePoint <= 0x5a) ||
      (codePoint >= 0x61 && codePoint <= 0x7a) ||
      codePoint === 0x5f
    );
  }
  return rustWord.test(String.fromCodePoint(codePoint));
}

/** Rust `char::to_lowercase`: per character, without JavaScript's final-sigma context rule. */
export function lowercaseChar(char: string): string {
  return char.toLowerCase();
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/**
 * Replaces lone surrogates with U+FFFD, as converting the string to UTF-8 does in the
 * reference (and `String.prototype.toWellFormed`, which not every runtime has yet).
 * The length stays the same, so offsets into the result are offsets into the input.
 */
export function toWellFormed(text: string): string {
  const native = (text as { toWellFormed?: () => string }).toWellFormed;
  if (typeof native === 'function') return native.call(text);
  return text.replace(loneSurrogate, '\ufffd');
}

/** Length in UTF-16 units of the code point starting at `index`. */
export function charLengthAt(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
    const next = text.charCodeAt(index + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return 2;
  }
  return 1;
}

/** UTF-8 byte length of a code point. */
export function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

const encoder = new TextEncoder();
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

const lossyDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
/** Rust `String::from_utf8_lossy`: invalid sequences become U+FFFD (maximal subparts). */
export function utf8DecodeLossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Rust `String::from_utf8`: the text, or undefined when the bytes are not valid UTF-8. */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}
