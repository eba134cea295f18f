/**
 * GPT-2's byte-to-character table: every byte becomes one printable character, so a
 * byte-level BPE vocabulary is a vocabulary of strings.
 */
import { utf8Encode } from './unicode';

function buildTables(): { byteToChar: Uint16Array; charToByte: Map<number, number> } {
  const bytes: number[] = [];
  for (let byte = 0x21; byte <= 0x7e; byte++) bytes.push(byte);
  for (let byte = 0xa1; byte <= 0xac; byte++) bytes.push(byte);
  for (let byte = 0xae; byte <= 0xff; byte++) bytes.push(byte);
  const chars = [...bytes];
  let extra = 0;
  for (let byte = 0; byte < 256; byte++) {
    if (!bytes.includes(byte)) {
      bytes.push(byte);
      chars.push(256 + extra++);
    }
  }
  const byteToChar = new Uint16Array(256);
  const charToByte = new Map<number, number>();
  bytes.forEach((byte, index) => {
    byteToChar[byte] = chars[index]!;
    charToByte.set(chars[index]!, byte);
  });
  return { byteToChar, charToByte };
}

const tables = buildTables();
/** Character code for each byte value. */
export const BYTE_TO_CHAR: Uint16Array = tables.byteToChar;
/** Byte value for each byte-level character code. */
export const CHAR_TO_BYTE: ReadonlyMap<number, number> = tables.charToByte;
/** The byte-level character for each byte, as one-character strings. */
export const BYTE_TO_STRING: readonly string[] = Array.from(BYTE_TO_CHAR, (code) =>
  String.fromCharCode(code),
);

const CHUNK = 4096;
/** Maps text to its byte-level string: one character per UTF-8 byte. */
export function toByteLevel(text: string): string {
  if (text.length > 256) return toByteLevelLong(text);
  // Short pieces (almost all pre-tokenized words): encode by hand, no allocations but the result.
  let out = '';
  for (let index = 0; index < text.length; index++) {
    let code = text.charCodeAt(index);
    if (code < 0x80) {
      out += BYTE_TO_STRING[code];
      continue;
    }
    if (code < 0x800) {
      out += BYTE_TO_STRING[0xc0 | (code >> 6)]! + BYTE_TO_STRING[0x80 | (code & 0x3f)]!;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        index++;
        out +=
          BYTE_TO_STRING[0xf0 | (code >> 18)]! +
          BYTE_TO_STRING[0x80 | ((code >> 12) & 0x3f)]! +
          BYTE_TO_STRING[0x80 | ((code >> 6) & 0x3f)]! +
          BYTE_TO_STRING[0x80 | (code & 0x3f)]!;
        continue;
      }
    }
    // Lone surrogates were replaced before this point; encode as U+FFFD would be anyway.
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    out +=
      BYTE_TO_STRING[0xe0 | (code >> 12)]! +
      BYTE_TO_STRING[0x80 | ((code >> 6) & 0x3f)]! +
      BYTE_TO_STRING[0x80 | (code & 0x3f)]!;
  }
  return out;
}

function toByteLevelLong(text: string): string {
  const bytes = utf8Encode(text);
  const codes = new Uint16Array(bytes.length);
  for (let index = 0; index < bytes.length; index++) codes[index] = BYTE_TO_CHAR[bytes[index]!]!;
  let out = '';
  for (let start = 0; start < codes.length; start += CHUNK) {
    out += String.fromCharCode.apply(
      null,
      codes.subarray(start, start + CHUNK) as unknown as number[],
    );
  }
  return out;
}

/** The bytes of a token made of byte-level characters, or undefined if one is not. */
export function fromByteLevel(token: string): number[] | undefined {
  const bytes: number[] = [];
  for (let index = 0; index < token.length; index++) {
    const byte = CHAR_TO_BYTE.get(token.charCodeAt(index));
    if (byte === undefined) return undefined;
    bytes.push(byte);
  }
  return bytes;
}
