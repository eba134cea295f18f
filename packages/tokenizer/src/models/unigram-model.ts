/**
 * SentencePiece's unigram model: the segmentation with the highest total log-probability
 * (Viterbi over every vocabulary entry that starts at each position). Characters no entry
 * covers become the unknown token (fused when adjacent), or their bytes with byte fallback.
 */
import { tokenizerJsonError } from '../json-fields';
import { utf8Encode } from '../unicode';
import type { TokenizerModel } from './model';

const UNKNOWN_PENALTY = 10;
const CACHE_CAPACITY = 50_000;
/**
 * Only words shorter than this (UTF-16 units) are cached, as the BPE model does: a full
 * cache of huge words would hold gigabytes.
 */
const MAX_CACHED_WORD = 256;

interface TrieNode {
  children: Map<number, TrieNode>;
  id: number;
}

export interface UnigramModelOptions {
  vocabulary: ReadonlyArray<readonly [string, number]>;
  unkId?: number;
  byteFallback?: boolean;
  path?: string;
}

export class UnigramModel implements TokenizerModel {
  readonly type = 'Unigram' as const;
  readonly size: number;
  readonly idLimit: number;
  readonly unkToken?: string;
  private readonly pieces: string[];
  private readonly scores: Float64Array;
  private readonly ids = new Map<string, number>();
  private readonly root: TrieNode = { children: new Map(), id: -1 };
  private readonly unkId: number | undefined;
  private readonly unknownScore: number;
  private readonly byteFallback: boolean;
  private readonly cache = new Map<string, string[]>();

  constructor(options: UnigramModelOptions) {
    const path = options.path ?? 'model';
    const vocabulary = options.vocabulary;
    this.size = vocabulary.length;
    this.idLimit = vocabulary.length;
    this.pieces = vocabulary.map(([piece]) => piece);
    this.scores = Float64Array.from(vocabulary, ([, score]) => score);
    if (options.unkId !== undefined) {
      if (vocabulary.length === 0)
        throw tokenizerJsonError(`${path}.vocab`, 'is empty but unk_id is set.');
      if (options.unkId >= vocabulary.length) {
        throw tokenizerJsonError(
          `${path}.unk_id`,
          `is ${options.unkId}, past the end of the vocabulary.`,
        );
      }
    }
    this.unkId = options.unkId;
    this.unkToken = options.unkId === undefined ? undefined : this.pieces[options.unkId];
    this.byteFallback = options.byteFallback ?? false;
    let minScore = Number.POSITIVE_INFINITY;
    vocabulary.forEach(([piece, score], id) => {
      this.ids.set(piece, id);
      if (score < minScore) minScore = score;
    });
    // Insert after all ids are known, so duplicates resolve to the last id as in the reference.
    for (const [piece, id] of this.ids) {
      let node = this.root;
      for (let index = 0; index < piece.length; index++) {
        const code = piece.charCodeAt(index);
        let child = node.children.get(code);
        if (!child) {
          child = { children: new Map(), id: -1 };
          node.children.set(code, child);
        }
        node = child;
      }
      if (piece.length > 0) node.id = id;
    }
    this.unknownScore = minScore - UNKNOWN_PENALTY;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id];
  }

  private segment(text: string): string[] {
    const size = text.length;
    const bestScore = new Float64Array(size + 1);
    const startsAt = new Int32Array(size + 1).fill(-1);
    const bestId = new Int32Array(size + 1);
    for (let start = 0; start < size; ) {
      const scoreHere = bestScore[start]!;
      const code = text.charCodeAt(start);
      const charLength =
        code >= 0xd800 &&
        code <= 0xdbff &&
        start + 1 < size &&
        (text.charCodeAt(start + 1) & 0xfc00) === 0xdc00
          ? 2
          : 1;
      let hasSingle = false;
      let node: TrieNode | undefined = this.root;
      for (let position = start; position < size; position++) {
        node = node.children.get(text.charCodeAt(position));
        if (!node) break;
        if (node.id < 0) continue;
        const end = position + 1;
        const candidate = this.scores[node.id]! + scoreHere;
        if (startsAt[end] === -1 || candidate > bestScore[end]!) {
          bestScore[end] = candidate;
          startsAt[end] = start;
          bestId[end] = node.id;
        }
        if (end - start === charLength) hasSingle = true;
      }
      if (!hasSingle) {
        const end = start + charLength;
        const candidate = this.unknownScore + scoreHere;
        if (startsAt[end] === -1 || candidate > bestScore[end]!) {
          bestScore[end] = candidate;
          startsAt[end] = start;
          // Without an unknown token the reference fails here; -1 drops the piece instead.
          bestId[end] = this.unkId ?? -1;
        }
      }
      start += charLength;
    }
    const results: string[] = [];
    let unknown: string[] = [];
    for (let end = size; end > 0; ) {
      const start = startsAt[end]!;
      const piece = text.slice(start, end);
      if (this.unkId !== undefined && bestId[end] === this.unkId) {
        unknown.push(piece);
      } else {
        if (unknown.length > 0) {
          results.push(unknown.reverse().join(''));
          unknown = [];
        }
        if (bestId[end]! >= 0) results.push(piece);
      }
      end = start;
    }
    if (unknown.length > 0) results.push(unknown.reverse().join(''));
    return results.reverse();
  }

  /** Words in the segmentation cache (for tests: huge words are not kept). */
  get cachedWords(): number {
    return this.cache.size;
  }

  tokenize(word: string, ids: number[], offsets: number[] | null): void {
    if (word.length === 0) return;
    let pieces = this.cache.get(word);
    if (!pieces) {
      pieces = this.segment(word);
      if (word.length < MAX_CACHED_WORD) {
        if (this.cache.size >= CACHE_CAPACITY) this.cache.clear();
        this.cache.set(word, pieces);
      }
    }
    let offset = 0;
    for (const piece of pieces) {
      const end = offset + piece.length;
      const id = this.ids.get(piece);
      if (id !== undefined) {
        ids.push(id);
        offsets?.push(offset, end);
      } else {
        let done = false;
        if (this.byteFallback) {
          const bytes = utf8Encode(piece);
          const byteIds: number[] = [];
          for (const byte of bytes) {
            const byteId = this.ids.get(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
            if (byteId === undefined) break;
            byteIds.push(byteId);
          }
          if (byteIds.length === bytes.length) {
            for (const byteId of byteIds) {
              ids.push(byteId);
              offsets?.push(offset, end);
            }
            done = true;
          }
        }
        if (!done && this.unkId !== undefined) {
          ids.push(this.unkId);
          offsets?.push(offset, end);
        }
      }
      offset = end;
    }
  }
}
