/**
 * Pre-tokenizers cut normalized text into the words the model sees. Each one maps a list
 * of pieces to a new list; `Sequence` chains them.
 */
import { BYTE_TO_STRING, toByteLevel } from './byte-level';
import {
  type JsonObject,
  MAX_NESTING_DEPTH,
  readArray,
  readBoolean,
  readObject,
  readOptionalString,
  readPattern,
  readString,
  tokenizerJsonError,
} from './json-fields';
import type { NormalizedString } from './normalized-string';
import { compileOnigRegex } from './onig-regex';
import {
  charMatches,
  regexMatches,
  SPLIT_BEHAVIORS,
  type SplitBehavior,
  splitPiece,
  stringMatches,
} from './split-behavior';
import { isBertPunctuation, isNumeric, isWhitespace, RUST_WORD_CLASS, utf8Encode } from './unicode';

export interface PreTokenizer {
  preTokenize(pieces: NormalizedString[]): NormalizedString[];
}

/** GPT-2's split pattern (ByteLevel `use_regex`), already in JavaScript form. */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

class SplitPreTokenizer implements PreTokenizer {
  constructor(
    private readonly findMatches: (text: string) => number[],
    private readonly behavior: SplitBehavior,
    private readonly invert: boolean,
  ) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    for (const piece of pieces) {
      splitPiece(piece, this.findMatches(piece.text), this.behavior, this.invert, out);
    }
    return out;
  }
}

/** Maps every piece to byte-level characters (one per UTF-8 byte). */
export function byteLevelTransform(piece: NormalizedString): void {
  if (piece.alignments) {
    piece.mapChars((char, codePoint) => {
      if (codePoint < 0x80) return BYTE_TO_STRING[codePoint]!;
      let out = '';
      for (const byte of utf8Encode(char)) out += BYTE_TO_STRING[byte];
      return out;
    });
    return;
  }
  piece.text = toByteLevel(piece.text);
}

class ByteLevelPreTokenizer implements PreTokenizer {
  private readonly regex: RegExp | null;
  constructor(
    private readonly addPrefixSpace: boolean,
    useRegex: boolean,
  ) {
    this.regex = useRegex ? compileOnigRegex(GPT2_PATTERN) : null;
  }
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    let out: NormalizedString[] = pieces;
    if (this.addPrefixSpace || this.regex) {
      out = [];
      for (const piece of pieces) {
        if (this.addPrefixSpace && !piece.text.startsWith(' ')) piece.prepend(' ');
        if (this.regex)
          splitPiece(piece, regexMatches(piece.text, this.regex), 'Isolated', false, out);
        else if (!piece.isEmpty) out.push(piece);
      }
    }
    for (const piece of out) byteLevelTransform(piece);
    return out;
  }
}

type PrependScheme = 'always' | 'never' | 'first';

class MetaspacePreTokenizer implements PreTokenizer {
  constructor(
    private readonly replacement: string,
    private readonly prependScheme: PrependScheme,
    private readonly split: boolean,
  ) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    const replacement = this.replacement;
    for (const piece of pieces) {
      piece.replaceAll(' ', replacement);
      if (
        !piece.text.startsWith(replacement) &&
        (this.prependScheme === 'always' ||
          (this.prependScheme === 'first' && piece.originalStart === 0))
      ) {
        piece.prepend(replacement);
      }
      if (this.split)
        splitPiece(piece, stringMatches(piece.text, replacement), 'MergedWithNext', false, out);
      else if (!piece.isEmpty) out.push(piece);
    }
    return out;
  }
}

/** `Whitespace`: keeps runs of word characters and runs of other non-space characters. */
class WhitespacePreTokenizer implements PreTokenizer {
  private readonly regex = new RegExp(
    `[${RUST_WORD_CLASS}]+|[^${RUST_WORD_CLASS}\\p{White_Space}]+`,
    'gu',
  );
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    for (const piece of pieces) {
      splitPiece(piece, regexMatches(piece.text, this.regex), 'Removed', true, out);
    }
    return out;
  }
}

class SequencePreTokenizer implements PreTokenizer {
  constructor(private readonly steps: PreTokenizer[]) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    let current = pieces;
    for (const step of this.steps) current = step.preTokenize(current);
    return current;
  }
}

function readBehavior(object: JsonObject, path: string, fallback: SplitBehavior): SplitBehavior {
  const value = object.behavior ?? fallback;
  if (!SPLIT_BEHAVIORS.includes(value as SplitBehavior)) {
    throw tokenizerJsonError(
      `${path}.behavior`,
      `must be one of ${SPLIT_BEHAVIORS.join(', ')}, got ${JSON.stringify(value)}.`,
    );
  }
  return value as SplitBehavior;
}

/** Reads Metaspace's options in both the current and the pre-0.14 spelling. */
export function readMetaspaceOptions(
  object: JsonObject,
  path: string,
): { replacement: string; prependScheme: PrependScheme; split: boolean } {
  const replacement =
    readOptionalString(object, 'replacement', path) ??
    readOptionalString(object, 'str_rep', path) ??
    '▁';
  if ([...replacement].length !== 1) {
    throw tokenizerJsonError(`${path}.replacement`, 'must be exactly one character.');
  }
  let prependScheme: PrependScheme;
  const scheme = object.prepend_scheme;
  if (scheme === undefined || scheme === null) {
    prependScheme = readBoolean(object, 'add_prefix_space', path, true) ? 'always' : 'never';
  } else if (scheme === 'always' || scheme === 'never' || scheme === 'first') {
    prependScheme = scheme;
  } else {
    throw tokenizerJsonError(`${path}.prepend_scheme`, 'must be "always", "never" or "first".');
  }
  return { replacement, prependScheme, split: readBoolean(object, 'split', path, true) };
}

export function createPreTokenizer(
  value: unknown,
  path = 'pre_tokenizer',
  depth = 0,
): PreTokenizer | null {
  if (value === null || value === undefined) return null;
  if (depth > MAX_NESTING_DEPTH) throw tokenizerJsonError(path, 'is nested too deeply.');
  const object = readObject(value, path);
  const type = readString(object, 'type', path);
  switch (type) {
    case 'Sequence': {
      const steps = readArray(object.pretokenizers, `${path}.pretokenizers`).map((step, index) =>
        createPreTokenizer(step, `${path}.pretokenizers[${index}]`, depth + 1),
      );
      return new SequencePreTokenizer(steps.filter((step): step is PreTokenizer => step !== null));
    }
    case 'ByteLevel':
      return new ByteLevelPreTokenizer(
        readBoolean(object, 'add_prefix_space', path, true),
        readBoolean(object, 'use_regex', path, true),
      );
    case 'Split': {
      const pattern = readPattern(object, 'pattern', path);
      const behavior = readBehavior(object, path, 'Isolated');
      const invert = readBoolean(object, 'invert', path, false);
      if (pattern.kind === 'string') {
        const literal = pattern.source;
        return new SplitPreTokenizer((text) => stringMatches(text, literal), behavior, invert);
      }
      const regex = compileOnigRegex(pattern.source, `${path}.pattern.Regex`);
      return new SplitPreTokenizer((text) => regexMatches(text, regex), behavior, invert);
    }
    case 'Metaspace': {
      const options = readMetaspaceOptions(object, path);
      return new MetaspacePreTokenizer(options.replacement, options.prependScheme, options.split);
    }
    case 'Whitespace':
      return new WhitespacePreTokenizer();
    case 'WhitespaceSplit':
      return new SplitPreTokenizer((text) => charMatches(text, isWhitespace), 'Removed', false);
    case 'Punctuation':
      return new SplitPreTokenizer(
        (text) => charMatches(text, isBertPunctuation),
        readBehavior(object, path, 'Isolated'),
        false,
      );
    case 'Digits': {
      const individual = readBoolean(object, 'individual_digits', path, false);
      return new SplitPreTokenizer(
        (text) => charMatches(text, isNumeric),
        individual ? 'Isolated' : 'Contiguous',
        false,
      );
    }
    case 'BertPreTokenizer':
      return new SequencePreTokenizer([
        new SplitPreTokenizer((text) => charMatches(text, isWhitespace), 'Removed', false),
        new SplitPreTokenizer((text) => charMatches(text, isBertPunctuation), 'Isolated', false),
      ]);
    case 'CharDelimiterSplit': {
      const delimiter = readString(object, 'delimiter', path);
      const codePoint = delimiter.codePointAt(0);
      return new SplitPreTokenizer(
        (text) => charMatches(text, (char) => char === codePoint),
        'Removed',
        false,
      );
    }
    default:
      throw tokenizerJsonError(
        `${path}.type`,
        `is "${type}", which llmr does not support (supported: Sequence, ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Digits, BertPreTokenizer, CharDelimiterSplit).`,
      );
  }
}
