/**
 * Byte-pair encoding as the reference does it: each word starts as characters (or bytes
 * for byte-level vocabularies), then the lowest-ranked adjacent pair is merged until none
 * is left. Pairs live in a binary heap keyed by (rank, position) over a linked list of
 * symbols, so a word of n symbols costs O(n log n), and whole words are cached.
 */
import { MAX_MERGES, tokenizerJsonError } from '../json-fields';
import { utf8Encode } from '../unicode';
import { reverseVocabulary, type TokenizerModel } from './model';
import { PairMap } from './pair-map';

export interface BpeModelOptions {
  vocabulary: Map<string, number>;
  merges: ReadonlyArray<readonly [string, string]>;
  unkToken?: string;
  continuingSubwordPrefix?: string;
  endOfWordSuffix?: string;
  fuseUnk?: boolean;
  byteFallback?: boolean;
  ignoreMerges?: boolean;
  /** Where the merges came from, for error messages. */
  path?: string;
}

/** Words shorter than this (UTF-16 units) are cached, as in the reference. */
const MAX_CACHED_WORD = 256;
const CACHE_CAPACITY = 100_000;
/** Scratch buffers start this big (symbols), and go back to it after a huge word. */
const SCRATCH_SIZE = 64;
/** Past this many symbols the scratch is dropped after its word, not kept for the next. */
const MAX_RETAINED_SCRATCH = 16_384;

export class BpeModel implements TokenizerModel {
  readonly type = 'BPE' as const;
  readonly size: number;
  readonly idLimit: number;
  readonly unkToken?: string;
  private readonly vocabulary: Map<string, number>;
  private readonly tokens: string[];
  private readonly pairs: PairMap;
  private readonly unkId: number | undefined;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly fuseUnk: boolean;
  private readonly byteFallbackIds: Int32Array | null;
  private readonly ignoreMerges: boolean;
  /**
   * SentencePiece vocabularies mark word starts with "▁" and have no token with "▁" after
   * another character. Then no merge crosses the point before such a "▁", so the pieces
   * between those points can be merged (and cached) one by one with the same result. This
   * matters because those tokenizers have no pre-tokenizer: a whole paragraph is one word.
   */
  private readonly markerSplit: RegExp | null;
  /** Per cached word: `id, start, end` triples. */
  private readonly cache = new Map<string, Int32Array>();

  // Scratch space reused across words.
  private ids = new Int32Array(SCRATCH_SIZE);
  private starts = new Int32Array(SCRATCH_SIZE);
  private ends = new Int32Array(SCRATCH_SIZE);
  private previous = new Int32Array(SCRATCH_SIZE);
  private next = new Int32Array(SCRATCH_SIZE);
  private dead = new Uint8Array(SCRATCH_SIZE);
  private heapRank: number[] = [];
  private heapPosition: number[] = [];
  private heapMerged: number[] = [];

  constructor(options: BpeModelOptions) {
    const path = options.path ?? 'model';
    this.vocabulary = options.vocabulary;
    const reversed = reverseVocabulary(options.vocabulary);
    this.tokens = reversed.tokens;
    this.idLimit = reversed.idLimit;
    this.size = options.vocabulary.size;
    this.unkToken = options.unkToken;
    this.unkId =
      options.unkToken === undefined ? undefined : options.vocabulary.get(options.unkToken);
    this.prefix = options.continuingSubwordPrefix ?? '';
    this.suffix = options.endOfWordSuffix ?? '';
    this.fuseUnk = options.fuseUnk ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
    if (options.merges.length > MAX_MERGES) {
      throw tokenizerJsonError(
        `${path}.merges`,
        `has ${options.merges.length} entries, more than ${MAX_MERGES}.`,
      );
    }
    this.pairs = new PairMap(options.merges.length);
    const prefixLength = this.prefix.length;
    options.merges.forEach(([left, right], rank) => {
      const leftId = this.vocabulary.get(left);
      const rightId = this.vocabulary.get(right);
      const mergedToken = left + right.slice(prefixLength);
      const mergedId = this.vocabulary.get(mergedToken);
      if (leftId === undefined || rightId === undefined || mergedId === undefined) {
        const missing = leftId === undefined ? left : rightId === undefined ? right : mergedToken;
        throw tokenizerJsonError(
          `${path}.merges[${rank}]`,
          `merges ${JSON.stringify(left)} and ${JSON.stringify(right)}, but ${JSON.stringify(missing)} is not in the vocabulary.`,
        );
      }
      this.pairs.set(leftId, rightId, rank, mergedId);
    });
    this.markerSplit = null;
    if (!this.prefix && !this.suffix && this.vocabulary.has('▁')) {
      let crossing = false;
      for (const token of this.vocabulary.keys()) {
        if (/[^▁]▁/u.test(token)) {
          crossing = true;
          break;
        }
      }
      if (!crossing) this.markerSplit = /(?<=[^▁])(?=▁)/u;
    }
    if (options.byteFallback) {
      this.byteFallbackIds = new Int32Array(256).fill(-1);
      for (let byte = 0; byte < 256; byte++) {
        const id = this.vocabulary.get(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
        if (id !== undefined) this.byteFallbackIds[byte] = id;
      }
    } else {
      this.byteFallbackIds = null;
    }
  }

  tokenToId(token: string): number | undefined {
    return this.vocabulary.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  tokenize(word: string, ids: number[], offsets: number[] | null): void {
    if (word.length === 0) return;
    if (this.ignoreMerges) {
      const id = this.vocabulary.get(word);
      if (id !== undefined) {
        ids.push(id);
        offsets?.push(0, word.length);
        return;
      }
    }
    if (this.markerSplit && word.length > 1 && word.indexOf('▁', 1) > 0 && !this.cache.has(word)) {
      let offset = 0;
      for (const part of word.split(this.markerSplit)) {
        const before = ids.length;
        this.tokenizeWord(part, ids, offsets);
        if (offsets && offset > 0) {
          for (
            let index = (before - ids.length) * 2 + offsets.length;
            index < offsets.length;
            index++
          ) {
            offsets[index]! += offset;
          }
        }
        offset += part.length;
      }
      return;
    }
    this.tokenizeWord(word, ids, offsets);
  }

  private tokenizeWord(word: string, ids: number[], offsets: number[] | null): void {
    let result = this.cache.get(word);
    if (result === undefined) {
      result = this.mergeWord(word);
      if (word.length < MAX_CACHED_WORD) {
        if (this.cache.size >= CACHE_CAPACITY) this.cache.clear();
        this.cache.set(word, result);
      }
    }
    for (let index = 0; index < result.length; index += 3) {
      ids.push(result[index]!);
      offsets?.push(result[index + 1]!, result[index + 2]!);
    }
  }

  /** Symbols the scratch buffers hold now (for tests: they shrink back after a huge word). */
  get scratchCapacity(): number {
    return this.ids.length;
  }

  private ensureCapacity(count: number): void {
    if (this.ids.length >= count) return;
    let size = this.ids.length;
    while (size < count) size *= 2;
    this.allocateScratch(size);
  }

  private allocateScratch(size: number): void {
    this.ids = new Int32Array(size);
    this.starts = new Int32Array(size);
    this.ends = new Int32Array(size);
    this.previous = new Int32Array(size);
    this.next = new Int32Array(size);
    this.dead = new Uint8Array(size);
  }

  /**
   * One huge word (a long run with no pre-tokenizer split) must not pin tens of MB for the
   * life of the tokenizer: past the bound the scratch goes back to its small size.
   */
  private releaseScratch(): void {
    if (this.ids.length <= MAX_RETAINED_SCRATCH) return;
    this.allocateScratch(SCRATCH_SIZE);
    this.heapRank = [];
    this.heapPosition = [];
    this.heapMerged = [];
  }

  private mergeWord(word: string): Int32Array {
    // Byte fallback can turn one character into four symbols.
    this.ensureCapacity(word.length * 4 + 4);
    const ids = this.ids;
    const starts = this.starts;
    const ends = this.ends;
    let count = 0;
    const add = (id: number, start: number, end: number) => {
      ids[count] = id;
      starts[count] = start;
      ends[count] = end;
      count++;
    };
    let unkStart = -1;
    let unkEnd = -1;
    const length = word.length;
    for (let index = 0; index < length; ) {
      const code = word.charCodeAt(index);
      const charLength =
        code >= 0xd800 &&
        code <= 0xdbff &&
        index + 1 < length &&
        (word.charCodeAt(index + 1) & 0xfc00) === 0xdc00
          ? 2
          : 1;
      const end = index + charLength;
      let symbol = charLength === 1 ? word[index]! : word.slice(index, end);
      if (index > 0 && this.prefix) symbol = this.prefix + symbol;
      if (end === length && this.suffix) symbol += this.suffix;
      const id = this.vocabulary.get(symbol);
      if (id !== undefined) {
        if (unkStart >= 0) {
          add(this.unkId!, unkStart, unkEnd);
          unkStart = -1;
        }
        add(id, index, end);
      } else {
        let handled = false;
        if (this.byteFallbackIds) {
          const bytes = utf8Encode(symbol);
          let all = true;
          for (const byte of bytes) {
            if (this.byteFallbackIds[byte]! < 0) {
              all = false;
              break;
            }
          }
          if (all) {
            for (const byte of bytes) add(this.byteFallbackIds[byte]!, index, end);
            handled = true;
          }
        }
        if (!handled && this.unkId !== undefined) {
          if (unkStart >= 0 && this.fuseUnk) {
            unkEnd = end;
          } else {
            if (unkStart >= 0) add(this.unkId, unkStart, unkEnd);
            unkStart = index;
            unkEnd = end;
          }
        }
      }
      index = end;
    }
    if (unkStart >= 0) add(this.unkId!, unkStart, unkEnd);
    if (count > 1) this.mergeSymbols(count);
    let alive = 0;
    for (let index = 0; index < count; index++) if (!this.dead[index]) alive++;
    const result = new Int32Array(alive * 3);
    let out = 0;
    for (let index = 0; index < count; index++) {
      if (this.dead[index]) continue;
      result[out++] = ids[index]!;
      result[out++] = starts[index]!;
      result[out++] = ends[index]!;
    }
    this.releaseScratch();
    return result;
  }

  private mergeSymbols(count: number): void {
    const { ids, ends, previous, next, dead, pairs } = this;
    const heapRank = this.heapRank;
    const heapPosition = this.heapPosition;
    const heapMerged = this.heapMerged;
    heapRank.length = 0;
    heapPosition.length = 0;
    heapMerged.length = 0;
    for (let index = 0; index < count; index++) {
      previous[index] = index - 1;
      next[index] = index + 1 < count ? index + 1 : -1;
      dead[index] = 0;
    }
    const push = (rank: number, position: number, merged: number) => {
      let child = heapRank.length;
      heapRank.push(rank);
      heapPosition.push(position);
      heapMerged.push(merged);
      while (child > 0) {
        const parent = (child - 1) >> 1;
        const parentRank = heapRank[parent]!;
        if (parentRank < rank || (parentRank === rank && heapPosition[parent]! < position)) break;
        heapRank[child] = parentRank;
        heapPosition[child] = heapPosition[parent]!;
        heapMerged[child] = heapMerged[parent]!;
        child = parent;
      }
      heapRank[child] = rank;
      heapPosition[child] = position;
      heapMerged[child] = merged;
    };
    for (let index = 0; index + 1 < count; index++) {
      const slot = pairs.find(ids[index]!, ids[index + 1]!);
      if (slot >= 0) push(pairs.ranks[slot]!, index, pairs.merged[slot]!);
    }
    while (heapRank.length > 0) {
      const position = heapPosition[0]!;
      const merged = heapMerged[0]!;
      // Pop the top: move the last entry down from the root.
      const lastRank = heapRank.pop()!;
      const lastPosition = heapPosition.pop()!;
      const lastMerged = heapMerged.pop()!;
      const size = heapRank.length;
      if (size > 0) {
        let parent = 0;
        for (;;) {
          let child = parent * 2 + 1;
          if (child >= size) break;
          const right = child + 1;
          if (
            right < size &&
            (heapRank[right]! < heapRank[child]! ||
              (heapRank[right] === heapRank[child] && heapPosition[right]! < heapPosition[child]!))
          ) {
            child = right;
          }
          const childRank = heapRank[child]!;
          if (
            lastRank < childRank ||
            (lastRank === childRank && lastPosition < heapPosition[child]!)
          )
            break;
          heapRank[parent] = childRank;
          heapPosition[parent] = heapPosition[child]!;
          heapMerged[parent] = heapMerged[child]!;
          parent = child;
        }
        heapRank[parent] = lastRank;
        heapPosition[parent] = lastPosition;
        heapMerged[parent] = lastMerged;
      }

      if (dead[position]) continue;
      const right = next[position]!;
      if (right === -1) continue;
      const slot = pairs.find(ids[position]!, ids[right]!);
      if (slot < 0 || pairs.merged[slot] !== merged) continue;
      ids[position] = merged;
      ends[position] = ends[right]!;
      dead[right] = 1;
      const after = next[right]!;
      next[position] = after;
      if (after !== -1) previous[after] = position;
      const before = previous[position]!;
      if (before >= 0) {
        const left = pairs.find(ids[before]!, merged);
        if (left >= 0) push(pairs.ranks[left]!, before, pairs.merged[left]!);
      }
      if (after !== -1) {
        const following = pairs.find(merged, ids[after]!);
        if (following >= 0) push(pairs.ranks[following]!, position, pairs.merged[following]!);
      }
    }
  }
}
