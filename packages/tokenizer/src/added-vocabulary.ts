/**
 * Added tokens (special tokens such as `<|im_start|>` and user-added words) are found in
 * the text before anything else touches it, leftmost-longest, and never split further.
 * Tokens marked `normalized` are matched against the normalized text instead.
 */
import {
  describe,
  readArray,
  readBoolean,
  readObject,
  readString,
  readTokenId,
  tokenizerJsonError,
} from './json-fields';
import { type Normalizer, normalizeString } from './normalizers';
import { isRustWordChar, isWhitespace } from './unicode';

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export function readAddedTokens(value: unknown, path = 'added_tokens'): AddedToken[] {
  if (value === undefined || value === null) return [];
  return readArray(value, path).map((entry, index) => {
    const entryPath = `${path}[${index}]`;
    const object = readObject(entry, entryPath);
    const special = readBoolean(object, 'special', entryPath, false);
    return {
      id: readTokenId(object.id, `${entryPath}.id`),
      content: readString(object, 'content', entryPath),
      singleWord: readBoolean(object, 'single_word', entryPath, false),
      lstrip: readBoolean(object, 'lstrip', entryPath, false),
      rstrip: readBoolean(object, 'rstrip', entryPath, false),
      normalized: readBoolean(object, 'normalized', entryPath, !special),
      special,
    };
  });
}

/** One part of a text: an added token (`id >= 0`) or plain text (`id === -1`). */
export interface Segment {
  start: number;
  end: number;
  id: number;
  /** For an added token: where its content matched (without stripped whitespace). */
  contentStart?: number;
  contentEnd?: number;
}

/** Leftmost-longest matching over a set of literal patterns. */
class PatternSet {
  /** Candidates by first UTF-16 unit, longest first. */
  private readonly byFirstUnit = new Map<number, Array<{ content: string; token: AddedToken }>>();
  /** Finds the next position holding a first unit of some pattern. */
  private readonly firstUnits: RegExp;

  constructor(entries: Array<{ content: string; token: AddedToken }>) {
    for (const entry of entries) {
      if (entry.content.length === 0) continue;
      const first = entry.content.charCodeAt(0);
      let list = this.byFirstUnit.get(first);
      if (!list) {
        list = [];
        this.byFirstUnit.set(first, list);
      }
      list.push(entry);
    }
    for (const list of this.byFirstUnit.values())
      list.sort((a, b) => b.content.length - a.content.length);
    const units = [...this.byFirstUnit.keys()].map(
      (unit) => `\\u${unit.toString(16).padStart(4, '0')}`,
    );
    // No pattern: a class that matches nothing.
    this.firstUnits = new RegExp(units.length > 0 ? `[${units.join('')}]` : '[^\\s\\S]', 'g');
  }

  get isEmpty(): boolean {
    return this.byFirstUnit.size === 0;
  }

  /** Splits `text` into segments, applying single_word, lstrip and rstrip as the reference does. */
  split(text: string): Segment[] {
    if (text.length === 0) return [{ start: 0, end: 0, id: -1 }];
    const segments: Segment[] = [];
    let startOffset = 0;
    let index = 0;
    const firstUnits = this.firstUnits;
    while (index < text.length) {
      firstUnits.lastIndex = index;
      const next = firstUnits.exec(text);
      if (next === null) break;
      index = next.index;
      const candidates = this.byFirstUnit.get(text.charCodeAt(index));
      let matched: { content: string; token: AddedToken } | undefined;
      if (candidates) {
        for (const candidate of candidates) {
          if (text.startsWith(candidate.content, index)) {
            matched = candidate;
            break;
          }
        }
      }
      if (!matched) {
        index++;
        continue;
      }
      let start = index;
      let stop = index + matched.content.length;
      const contentStart = start;
      const contentEnd = stop;
      // The matcher moves past a match even when single_word then discards it.
      index = stop;
      const token = matched.token;
      if (token.singleWord) {
        const before =
          start > 0 ? text.codePointAt(start - 1 - (isLowSurrogate(text, start - 1) ? 1 : 0))! : -1;
        const after = stop < text.length ? text.codePointAt(stop)! : -1;
        const startSpace = before < 0 || !isRustWordChar(before);
        const stopSpace = after < 0 || !isRustWordChar(after);
        if (!startSpace || !stopSpace) continue;
      }
      if (token.lstrip) {
        let newStart = start;
        while (newStart > 0) {
          const previous = newStart - 1 - (isLowSurrogate(text, newStart - 1) ? 1 : 0);
          if (!isWhitespace(text.codePointAt(previous)!)) break;
          newStart = previous;
        }
        start = Math.max(newStart, startOffset);
      }
      if (token.rstrip) {
        while (stop < text.length) {
          const codePoint = text.codePointAt(stop)!;
          if (!isWhitespace(codePoint)) break;
          stop += codePoint > 0xffff ? 2 : 1;
        }
        index = stop;
      }
      if (startOffset < start) segments.push({ start: startOffset, end: start, id: -1 });
      segments.push({ start, end: stop, id: token.id, contentStart, contentEnd });
      startOffset = stop;
    }
    if (startOffset !== text.length)
      segments.push({ start: startOffset, end: text.length, id: -1 });
    return segments;
  }
}

function isLowSurrogate(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  if (unit < 0xdc00 || unit > 0xdfff || index === 0) return false;
  const high = text.charCodeAt(index - 1);
  return high >= 0xd800 && high <= 0xdbff;
}

export class AddedVocabulary {
  readonly tokens: readonly AddedToken[];
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  /** What decoding shows for each id: normalized tokens show their normalized form, as in the reference. */
  private readonly decodedById = new Map<number, string>();
  private readonly specialContents = new Set<string>();
  /** Matched on the raw input. */
  readonly raw: PatternSet;
  /** Matched on normalized text (their contents normalized too). */
  readonly normalized: PatternSet;

  constructor(tokens: AddedToken[], normalizer: Normalizer | null) {
    this.tokens = tokens;
    for (const token of tokens) {
      if (token.content.length === 0) continue;
      this.byContent.set(token.content, token);
      this.byId.set(token.id, token);
      const shown =
        token.normalized && normalizer ? normalizeString(normalizer, token.content) : token.content;
      this.decodedById.set(token.id, shown);
      if (token.special) {
        this.specialContents.add(token.content);
        this.specialContents.add(shown);
      }
    }
    const unique = [...this.byContent.values()];
    this.raw = new PatternSet(
      unique
        .filter((token) => !token.normalized)
        .map((token) => ({ content: token.content, token })),
    );
    this.normalized = new PatternSet(
      unique
        .filter((token) => token.normalized)
        .map((token) => ({ content: normalizeString(normalizer, token.content), token })),
    );
  }

  tokenToId(content: string): number | undefined {
    return this.byContent.get(content)?.id;
  }

  idToToken(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  /** The token string decoding uses for an added token's id. */
  decodedToken(id: number): string | undefined {
    return this.decodedById.get(id);
  }

  isSpecial(content: string): boolean {
    return this.specialContents.has(content);
  }
}

export function assertAddedTokenIds(tokens: AddedToken[], limit: number, path: string): void {
  for (const [index, token] of tokens.entries()) {
    if (token.id >= limit) {
      throw tokenizerJsonError(
        `${path}[${index}].id`,
        `is ${describe(token.id)}, which is absurdly large.`,
      );
    }
  }
}
