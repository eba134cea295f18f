/**
 * WordPiece (BERT): greedy longest-match-first; pieces after the first carry the `##`
 * prefix; a word with any part not in the vocabulary becomes the unknown token whole.
 */
import { reverseVocabulary, type TokenizerModel } from './model';

export interface WordPieceModelOptions {
  vocabulary: Map<string, number>;
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
}

export class WordPieceModel implements TokenizerModel {
  readonly type = 'WordPiece' as const;
  readonly size: number;
  readonly idLimit: number;
  readonly unkToken: string;
  private readonly vocabulary: Map<string, number>;
  private readonly tokens: string[];
  private readonly prefix: string;
  private readonly maxInputCharsPerWord: number;

  constructor(options: WordPieceModelOptions) {
    this.vocabulary = options.vocabulary;
    const reversed = reverseVocabulary(options.vocabulary);
    this.tokens = reversed.tokens;
    this.idLimit = reversed.idLimit;
    this.size = options.vocabulary.size;
    this.unkToken = options.unkToken;
    this.prefix = options.continuingSubwordPrefix;
    this.maxInputCharsPerWord = options.maxInputCharsPerWord;
  }

  tokenToId(token: string): number | undefined {
    return this.vocabulary.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  private pushUnknown(word: string, ids: number[], offsets: number[] | null): void {
    // The reference fails without an unknown token; dropping the word keeps encode total.
    const unkId = this.vocabulary.get(this.unkToken);
    if (unkId === undefined) return;
    ids.push(unkId);
    offsets?.push(0, word.length);
  }

  tokenize(word: string, ids: number[], offsets: number[] | null): void {
    let chars = 0;
    for (let index = 0; index < word.length; index++) {
      if ((word.charCodeAt(index) & 0xfc00) !== 0xdc00) chars++;
    }
    if (chars > this.maxInputCharsPerWord) {
      this.pushUnknown(word, ids, offsets);
      return;
    }
    const found: number[] = [];
    const foundOffsets: number[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let match = -1;
      while (start < end) {
        const piece = start > 0 ? this.prefix + word.slice(start, end) : word.slice(start, end);
        const id = this.vocabulary.get(piece);
        if (id !== undefined) {
          match = id;
          break;
        }
        end -= (word.charCodeAt(end - 1) & 0xfc00) === 0xdc00 && end - 2 >= start ? 2 : 1;
      }
      if (match < 0) {
        this.pushUnknown(word, ids, offsets);
        return;
      }
      found.push(match);
      foundOffsets.push(start, end);
      start = end;
    }
    for (const id of found) ids.push(id);
    if (offsets) for (const value of foundOffsets) offsets.push(value);
  }
}
