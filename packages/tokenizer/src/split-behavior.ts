/**
 * Splitting a piece at pattern matches, with the reference's five behaviours for the
 * matched parts (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous).
 * Empty parts are dropped, as the reference's pre-tokenized string does.
 */
import type { NormalizedString } from './normalized-string';

export type SplitBehavior =
  | 'Removed'
  | 'Isolated'
  | 'MergedWithPrevious'
  | 'MergedWithNext'
  | 'Contiguous';

export const SPLIT_BEHAVIORS: readonly SplitBehavior[] = [
  'Removed',
  'Isolated',
  'MergedWithPrevious',
  'MergedWithNext',
  'Contiguous',
];

/** Flat list of `start, end, isMatch(0|1)` triples covering the whole text. */
export type Matches = number[];

export function regexMatches(text: string, regex: RegExp): Matches {
  const matches: Matches = [];
  if (text.length === 0) return [0, 0, 0];
  let previous = 0;
  regex.lastIndex = 0;
  for (;;) {
    const match = regex.exec(text);
    if (match === null) break;
    const start = match.index;
    const end = start + match[0].length;
    if (end === start) {
      // Step over an empty match by one character, as the reference's iterator does.
      regex.lastIndex = end + (text.codePointAt(end)! > 0xffff ? 2 : 1);
      if (end >= text.length) break;
    }
    if (previous !== start) matches.push(previous, start, 0);
    matches.push(start, end, 1);
    previous = end;
  }
  if (previous !== text.length) matches.push(previous, text.length, 0);
  return matches;
}

export function stringMatches(text: string, literal: string): Matches {
  if (text.length === 0) return [0, 0, 0];
  if (literal.length === 0) return [0, text.length, 0];
  const matches: Matches = [];
  let previous = 0;
  for (;;) {
    const start = text.indexOf(literal, previous);
    if (start < 0) break;
    if (previous !== start) matches.push(previous, start, 0);
    matches.push(start, start + literal.length, 1);
    previous = start + literal.length;
  }
  if (previous !== text.length) matches.push(previous, text.length, 0);
  return matches;
}

/** Every character for which `predicate` holds is its own match. */
export function charMatches(text: string, predicate: (codePoint: number) => boolean): Matches {
  if (text.length === 0) return [0, 0, 0];
  const matches: Matches = [];
  let previous = 0;
  for (let index = 0; index < text.length; ) {
    const codePoint = text.codePointAt(index)!;
    const length = codePoint > 0xffff ? 2 : 1;
    if (predicate(codePoint)) {
      if (previous < index) matches.push(previous, index, 0);
      matches.push(index, index + length, 1);
      previous = index + length;
    }
    index += length;
  }
  if (previous < text.length) matches.push(previous, text.length, 0);
  return matches;
}

/** Applies `behavior` (and `invert`) to the matches, returning the kept `[start, end]` pairs. */
export function applyBehavior(
  matches: Matches,
  behavior: SplitBehavior,
  invert: boolean,
): number[] {
  const kept: number[] = [];
  const count = matches.length / 3;
  const isMatch = (index: number) => (matches[index * 3 + 2] === 1) !== invert;
  switch (behavior) {
    case 'Isolated':
      for (let index = 0; index < count; index++)
        kept.push(matches[index * 3]!, matches[index * 3 + 1]!);
      return kept;
    case 'Removed':
      for (let index = 0; index < count; index++) {
        if (!isMatch(index)) kept.push(matches[index * 3]!, matches[index * 3 + 1]!);
      }
      return kept;
    case 'MergedWithPrevious': {
      let previousMatch = false;
      for (let index = 0; index < count; index++) {
        const match = isMatch(index);
        if (match && !previousMatch && kept.length > 0)
          kept[kept.length - 1] = matches[index * 3 + 1]!;
        else kept.push(matches[index * 3]!, matches[index * 3 + 1]!);
        previousMatch = match;
      }
      return kept;
    }
    case 'MergedWithNext': {
      const reversed: number[] = [];
      let previousMatch = false;
      for (let index = count - 1; index >= 0; index--) {
        const match = isMatch(index);
        if (match && !previousMatch && reversed.length > 0) {
          reversed[reversed.length - 2] = matches[index * 3]!;
        } else reversed.push(matches[index * 3]!, matches[index * 3 + 1]!);
        previousMatch = match;
      }
      for (let index = reversed.length - 2; index >= 0; index -= 2) {
        kept.push(reversed[index]!, reversed[index + 1]!);
      }
      return kept;
    }
    case 'Contiguous': {
      let previousMatch = false;
      for (let index = 0; index < count; index++) {
        const match = isMatch(index);
        if (match === previousMatch && kept.length > 0)
          kept[kept.length - 1] = matches[index * 3 + 1]!;
        else kept.push(matches[index * 3]!, matches[index * 3 + 1]!);
        previousMatch = match;
      }
      return kept;
    }
  }
}

export function splitPiece(
  piece: NormalizedString,
  matches: Matches,
  behavior: SplitBehavior,
  invert: boolean,
  out: NormalizedString[],
): void {
  const kept = applyBehavior(matches, behavior, invert);
  for (let index = 0; index < kept.length; index += 2) {
    const start = kept[index]!;
    const end = kept[index + 1]!;
    if (end > start) out.push(piece.slice(start, end));
  }
}
