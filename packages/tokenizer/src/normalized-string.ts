/**
 * A piece of text on its way through the pipeline, with (optionally) where each of its
 * UTF-16 units came from in the input. Tracking that costs time, so it is only done when
 * the caller asked for offsets; every transformation has a fast path without it.
 */
import { charLengthAt } from './unicode';

export class NormalizedString {
  text: string;
  /** `[start, end)` in the input for each UTF-16 unit of `text`, or null when not tracked. */
  alignments: Int32Array | null;
  /**
   * Input offset where this piece starts. Exact when alignments are tracked; otherwise exact
   * for pieces cut by added tokens and only "zero or not" for later splits, which is all
   * Metaspace's `prepend_scheme: "first"` needs.
   */
  originalStart: number;

  constructor(text: string, alignments: Int32Array | null, originalStart: number) {
    this.text = text;
    this.alignments = alignments;
    this.originalStart = originalStart;
  }

  /** A piece of the input starting at `start`; tracks alignments when `track` is true. */
  static fromInput(text: string, start: number, track: boolean): NormalizedString {
    if (!track) return new NormalizedString(text, null, start);
    const alignments = new Int32Array(text.length * 2);
    for (let index = 0; index < text.length; ) {
      const length = charLengthAt(text, index);
      for (let unit = 0; unit < length; unit++) {
        alignments[(index + unit) * 2] = start + index;
        alignments[(index + unit) * 2 + 1] = start + index + length;
      }
      index += length;
    }
    return new NormalizedString(text, alignments, start);
  }

  get isEmpty(): boolean {
    return this.text.length === 0;
  }

  /** Input range covered by `[start, end)` of `text` (needs alignments). */
  originalRange(start: number, end: number): [number, number] {
    const alignments = this.alignments;
    if (!alignments || alignments.length === 0) return [this.originalStart, this.originalStart];
    if (end <= start) {
      const at = Math.min(start, this.text.length - 1);
      const position = start >= this.text.length ? alignments[at * 2 + 1]! : alignments[at * 2]!;
      return [position, position];
    }
    return [alignments[start * 2]!, alignments[(end - 1) * 2 + 1]!];
  }

  /** Replaces each character by `map(char, codePoint)`; '' removes it. */
  mapChars(map: (char: string, codePoint: number) => string): void {
    const text = this.text;
    const alignments = this.alignments;
    let out = '';
    let changed = false;
    const newAlignments: number[] | null = alignments ? [] : null;
    for (let index = 0; index < text.length; ) {
      const codePoint = text.codePointAt(index)!;
      const length = codePoint > 0xffff ? 2 : 1;
      const char = length === 2 ? text.slice(index, index + 2) : text[index]!;
      const replacement = map(char, codePoint);
      if (replacement !== char) changed = true;
      out += replacement;
      if (newAlignments && alignments) {
        const start = alignments[index * 2]!;
        const end = alignments[(index + length - 1) * 2 + 1]!;
        for (let unit = 0; unit < replacement.length; unit++) newAlignments.push(start, end);
      }
      index += length;
    }
    if (!changed) return;
    this.text = out;
    if (newAlignments) this.alignments = Int32Array.from(newAlignments);
  }

  /**
   * Replaces `[start, end)` by `content`. Each new unit takes the alignment of the unit it
   * replaces (counting from the end when the content is shorter); extra units take the last
   * replaced unit's; a pure insertion takes its neighbour's.
   */
  private splice(pieces: Array<{ start: number; end: number; content: string }>): void {
    const text = this.text;
    const alignments = this.alignments;
    let out = '';
    let cursor = 0;
    const newAlignments: number[] | null = alignments ? [] : null;
    for (const { start, end, content } of pieces) {
      out += text.slice(cursor, start) + content;
      if (newAlignments && alignments) {
        for (let index = cursor; index < start; index++) {
          newAlignments.push(alignments[index * 2]!, alignments[index * 2 + 1]!);
        }
        for (let unit = 0; unit < content.length; unit++) {
          if (end > start) {
            // A shorter replacement lines up with the end of what it replaces, as in the reference.
            const shift = Math.max(0, end - start - content.length);
            const source = Math.min(start + shift + unit, end - 1);
            newAlignments.push(alignments[source * 2]!, alignments[source * 2 + 1]!);
          } else if (start > 0) {
            const edge = alignments[(start - 1) * 2 + 1]!;
            newAlignments.push(edge, edge);
          } else if (alignments.length > 0) {
            // Text inserted at the very start belongs to the first character, as in the reference.
            newAlignments.push(alignments[0]!, alignments[1]!);
          } else {
            newAlignments.push(this.originalStart, this.originalStart);
          }
        }
      }
      cursor = end;
    }
    out += text.slice(cursor);
    if (newAlignments && alignments) {
      for (let index = cursor; index < text.length; index++) {
        newAlignments.push(alignments[index * 2]!, alignments[index * 2 + 1]!);
      }
      this.alignments = Int32Array.from(newAlignments);
    }
    this.text = out;
  }

  prepend(content: string): void {
    if (content.length === 0) return;
    this.splice([{ start: 0, end: 0, content }]);
  }

  append(content: string): void {
    if (content.length === 0) return;
    const end = this.text.length;
    if (this.alignments && end > 0) {
      // Appended text belongs to the last character, as in the reference.
      const last = this.text.length - 1;
      const start = this.alignments[last * 2]!;
      const stop = this.alignments[last * 2 + 1]!;
      const extra = new Int32Array(this.alignments.length + content.length * 2);
      extra.set(this.alignments);
      for (let unit = 0; unit < content.length; unit++) {
        extra[this.alignments.length + unit * 2] = start;
        extra[this.alignments.length + unit * 2 + 1] = stop;
      }
      this.alignments = extra;
      this.text += content;
      return;
    }
    this.splice([{ start: end, end, content }]);
  }

  /** Replaces every match of `pattern` (global RegExp) or every occurrence of a string. */
  replaceAll(pattern: RegExp | string, content: string): void {
    const text = this.text;
    const pieces: Array<{ start: number; end: number; content: string }> = [];
    if (typeof pattern === 'string') {
      if (pattern.length === 0) return;
      let from = 0;
      for (;;) {
        const index = text.indexOf(pattern, from);
        if (index < 0) break;
        pieces.push({ start: index, end: index + pattern.length, content });
        from = index + pattern.length;
      }
    } else {
      pattern.lastIndex = 0;
      for (const match of text.matchAll(pattern)) {
        const start = match.index;
        const end = start + match[0].length;
        if (end === start) continue;
        pieces.push({ start, end, content });
      }
    }
    if (pieces.length === 0) return;
    if (!this.alignments) {
      this.text =
        typeof pattern === 'string' ? text.split(pattern).join(content) : joinPieces(text, pieces);
      return;
    }
    this.splice(pieces);
  }

  /** Unicode normalization, aligning each output cluster to its input cluster. */
  normalizeUnicode(form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): void {
    const text = this.text;
    const normalized = text.normalize(form);
    if (normalized === text) return;
    const alignments = this.alignments;
    if (!alignments) {
      this.text = normalized;
      return;
    }
    const clusters = splitClusters(text);
    let out = '';
    const newAlignments: number[] = [];
    for (const [start, end] of clusters) {
      const piece = text.slice(start, end).normalize(form);
      out += piece;
      // Input characters of the cluster, by UTF-16 start.
      const inputStarts: number[] = [];
      for (let index = start; index < end; index += charLengthAt(text, index))
        inputStarts.push(index);
      // Output character j comes from input character j (the last one when the output is
      // longer): a reordering maps one to one, a composition keeps its first character's
      // place, a decomposition stays on the character it came from. So does the reference.
      let outputIndex = 0;
      for (let unit = 0; unit < piece.length; ) {
        const length = charLengthAt(piece, unit);
        const source = inputStarts[Math.min(outputIndex, inputStarts.length - 1)]!;
        const sourceEnd = source + charLengthAt(text, source) - 1;
        for (let inner = 0; inner < length; inner++) {
          newAlignments.push(alignments[source * 2]!, alignments[sourceEnd * 2 + 1]!);
        }
        unit += length;
        outputIndex++;
      }
    }
    if (out !== normalized) {
      // Characters composed across our cluster cut: align the whole text coarsely.
      const first = alignments[0]!;
      const last = alignments[alignments.length - 1]!;
      this.text = normalized;
      this.alignments = new Int32Array(normalized.length * 2);
      for (let unit = 0; unit < normalized.length; unit++) {
        this.alignments[unit * 2] = first;
        this.alignments[unit * 2 + 1] = last;
      }
      return;
    }
    this.text = out;
    this.alignments = Int32Array.from(newAlignments);
  }

  /** Removes whitespace (as `isWhitespace` says) at either end. */
  strip(left: boolean, right: boolean, isSpace: (codePoint: number) => boolean): void {
    const text = this.text;
    let start = 0;
    let end = text.length;
    if (left) {
      while (start < end) {
        const codePoint = text.codePointAt(start)!;
        if (!isSpace(codePoint)) break;
        start += codePoint > 0xffff ? 2 : 1;
      }
    }
    if (right) {
      while (end > start) {
        let index = end - 1;
        const unit = text.charCodeAt(index);
        if (unit >= 0xdc00 && unit <= 0xdfff && index > start) index--;
        if (!isSpace(text.codePointAt(index)!)) break;
        end = index;
      }
    }
    if (start === 0 && end === text.length) return;
    this.text = text.slice(start, end);
    if (this.alignments) this.alignments = this.alignments.slice(start * 2, end * 2);
    if (start > 0) this.originalStart = this.alignments?.[0] ?? this.originalStart + start;
  }

  /** The sub-piece `[start, end)` of `text`. */
  slice(start: number, end: number): NormalizedString {
    if (start === 0 && end === this.text.length) {
      return new NormalizedString(this.text, this.alignments, this.originalStart);
    }
    const alignments = this.alignments ? this.alignments.slice(start * 2, end * 2) : null;
    const originalStart = alignments
      ? alignments.length > 0
        ? alignments[0]!
        : this.originalStart
      : start === 0
        ? this.originalStart
        : this.originalStart + start;
    return new NormalizedString(this.text.slice(start, end), alignments, originalStart);
  }
}

function joinPieces(
  text: string,
  pieces: Array<{ start: number; end: number; content: string }>,
): string {
  let out = '';
  let cursor = 0;
  for (const piece of pieces) {
    out += text.slice(cursor, piece.start) + piece.content;
    cursor = piece.end;
  }
  return out + text.slice(cursor);
}

const mark = /^[\p{M}\u1160-\u11ff\ud7b0-\ud7ff]/u;
/**
 * Cuts text before every character that cannot combine with the one before it: marks,
 * characters whose compatibility decomposition starts with a mark (half-width voicing
 * marks) and Hangul vowel/final jamo stay with their base.
 */
function splitClusters(text: string): Array<[number, number]> {
  const clusters: Array<[number, number]> = [];
  let start = 0;
  for (let index = 0; index < text.length; ) {
    const length = charLengthAt(text, index);
    const char = text.slice(index, index + length);
    if (index > 0 && !mark.test(char) && !mark.test(char.normalize('NFKD'))) {
      clusters.push([start, index]);
      start = index;
    }
    index += length;
  }
  if (start < text.length) clusters.push([start, text.length]);
  return clusters;
}
