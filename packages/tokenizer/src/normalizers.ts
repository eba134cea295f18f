/** Normalizers rewrite text before it is split: Unicode forms, case, whitespace, replacements. */

import { BYTE_TO_STRING } from './byte-level';
import {
  MAX_NESTING_DEPTH,
  readArray,
  readBoolean,
  readObject,
  readPattern,
  readString,
  tokenizerJsonError,
} from './json-fields';
import { NormalizedString } from './normalized-string';
import { compileOnigRegex } from './onig-regex';
import { PrecompiledCharsmap } from './precompiled-charsmap';
import { isBertControl, isChineseChar, isWhitespace, lowercaseChar, utf8Encode } from './unicode';

export interface Normalizer {
  normalize(piece: NormalizedString): void;
}

const nonspacingMark = /^\p{Mn}$/u;
// The StripAccents normalizer removes every combining mark (Mn, Mc, Me); BERT's own accent
// stripping removes only non-spacing ones (Mn). The reference differs in the same way.
const combiningMark = /^\p{M}$/u;

function stripAccents(piece: NormalizedString): void {
  piece.normalizeUnicode('NFD');
  piece.mapChars((char, codePoint) =>
    codePoint >= 0x300 && nonspacingMark.test(char) ? '' : char,
  );
}

class FunctionNormalizer implements Normalizer {
  constructor(readonly normalize: (piece: NormalizedString) => void) {}
}

function bertNormalizer(
  cleanText: boolean,
  handleChineseChars: boolean,
  stripAccentsOption: boolean | null,
  lowercase: boolean,
): Normalizer {
  return new FunctionNormalizer((piece) => {
    if (cleanText) {
      piece.mapChars((char, codePoint) => {
        if (codePoint === 0 || codePoint === 0xfffd || isBertControl(codePoint)) return '';
        return isWhitespace(codePoint) ? ' ' : char;
      });
    }
    if (handleChineseChars) {
      piece.mapChars((char, codePoint) => (isChineseChar(codePoint) ? ` ${char} ` : char));
    }
    if (stripAccentsOption ?? lowercase) stripAccents(piece);
    if (lowercase) piece.mapChars(lowercaseChar);
  });
}

const nmtRemoved = (codePoint: number) =>
  (codePoint >= 0x01 && codePoint <= 0x08) ||
  codePoint === 0x0b ||
  (codePoint >= 0x0e && codePoint <= 0x1f) ||
  codePoint === 0x7f ||
  codePoint === 0x8f ||
  codePoint === 0x9f;
const nmtSpace = (codePoint: number) =>
  codePoint === 0x09 ||
  codePoint === 0x0a ||
  codePoint === 0x0c ||
  codePoint === 0x0d ||
  codePoint === 0x1680 ||
  (codePoint >= 0x200b && codePoint <= 0x200f) ||
  codePoint === 0x2028 ||
  codePoint === 0x2029 ||
  codePoint === 0x2581 ||
  codePoint === 0xfeff ||
  codePoint === 0xfffd;

export function createNormalizer(
  value: unknown,
  path = 'normalizer',
  depth = 0,
): Normalizer | null {
  if (value === null || value === undefined) return null;
  if (depth > MAX_NESTING_DEPTH) throw tokenizerJsonError(path, 'is nested too deeply.');
  const object = readObject(value, path);
  const type = readString(object, 'type', path);
  switch (type) {
    case 'Sequence': {
      const steps = readArray(object.normalizers, `${path}.normalizers`)
        .map((step, index) => createNormalizer(step, `${path}.normalizers[${index}]`, depth + 1))
        .filter((step): step is Normalizer => step !== null);
      return new FunctionNormalizer((piece) => {
        for (const step of steps) step.normalize(piece);
      });
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return new FunctionNormalizer((piece) => piece.normalizeUnicode(type));
    case 'Lowercase':
      return new FunctionNormalizer((piece) => piece.mapChars(lowercaseChar));
    case 'Strip': {
      const left = readBoolean(object, 'strip_left', path, true);
      const right = readBoolean(object, 'strip_right', path, true);
      return new FunctionNormalizer((piece) => piece.strip(left, right, isWhitespace));
    }
    case 'StripAccents':
      return new FunctionNormalizer((piece) =>
        piece.mapChars((char, codePoint) =>
          codePoint >= 0x300 && combiningMark.test(char) ? '' : char,
        ),
      );
    case 'Replace': {
      const pattern = readPattern(object, 'pattern', path);
      const content = readString(object, 'content', path);
      if (pattern.kind === 'string') {
        const literal = pattern.source;
        return new FunctionNormalizer((piece) => piece.replaceAll(literal, content));
      }
      const regex = compileOnigRegex(pattern.source, `${path}.pattern.Regex`);
      return new FunctionNormalizer((piece) => piece.replaceAll(regex, content));
    }
    case 'Prepend': {
      const prepend = readString(object, 'prepend', path);
      return new FunctionNormalizer((piece) => {
        if (!piece.isEmpty) piece.prepend(prepend);
      });
    }
    case 'Append': {
      const append = readString(object, 'append', path);
      return new FunctionNormalizer((piece) => {
        if (!piece.isEmpty) piece.append(append);
      });
    }
    case 'BertNormalizer': {
      const strip = object.strip_accents;
      if (strip !== undefined && strip !== null && typeof strip !== 'boolean') {
        throw tokenizerJsonError(`${path}.strip_accents`, 'must be true, false or null.');
      }
      return bertNormalizer(
        readBoolean(object, 'clean_text', path, true),
        readBoolean(object, 'handle_chinese_chars', path, true),
        (strip as boolean | null | undefined) ?? null,
        readBoolean(object, 'lowercase', path, true),
      );
    }
    case 'Nmt':
      return new FunctionNormalizer((piece) =>
        piece.mapChars((char, codePoint) =>
          nmtRemoved(codePoint) ? '' : nmtSpace(codePoint) ? ' ' : char,
        ),
      );
    case 'Precompiled': {
      const charsmap = object.precompiled_charsmap;
      if (charsmap === null || charsmap === undefined || charsmap === '') {
        // An empty charsmap normalizes nothing.
        return null;
      }
      if (typeof charsmap !== 'string') {
        throw tokenizerJsonError(`${path}.precompiled_charsmap`, 'must be a base64 string.');
      }
      const map = new PrecompiledCharsmap(charsmap, `${path}.precompiled_charsmap`);
      return new FunctionNormalizer((piece) => precompiledNormalize(map, piece));
    }
    case 'ByteLevel':
      return new FunctionNormalizer((piece) =>
        piece.mapChars((char) => {
          let out = '';
          for (const byte of utf8Encode(char)) out += BYTE_TO_STRING[byte];
          return out;
        }),
      );
    default:
      throw tokenizerJsonError(
        `${path}.type`,
        `is "${type}", which llmr does not support (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, Append, BertNormalizer, Nmt, Precompiled, ByteLevel).`,
      );
  }
}

function precompiledNormalize(map: PrecompiledCharsmap, piece: NormalizedString): void {
  const text = piece.text;
  const alignments = piece.alignments;
  let out = '';
  let changed = false;
  const newAlignments: number[] | null = alignments ? [] : null;
  let cursor = 0;
  map.normalizeChunks(text, (source, replacement) => {
    if (replacement !== source) changed = true;
    out += replacement;
    if (newAlignments && alignments) {
      const start = alignments[cursor * 2]!;
      const end = alignments[(cursor + source.length - 1) * 2 + 1]!;
      for (let unit = 0; unit < replacement.length; unit++) newAlignments.push(start, end);
    }
    cursor += source.length;
  });
  if (!changed) return;
  piece.text = out;
  if (newAlignments) piece.alignments = Int32Array.from(newAlignments);
}

/** Normalizes a standalone string (added-token contents). */
export function normalizeString(normalizer: Normalizer | null, text: string): string {
  if (!normalizer) return text;
  const piece = new NormalizedString(text, null, 0);
  normalizer.normalize(piece);
  return piece.text;
}
