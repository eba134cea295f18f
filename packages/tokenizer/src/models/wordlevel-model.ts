/** WordLevel: each pre-tokenized word is one vocabulary entry, or the unknown token. */
import { reverseVocabulary, type TokenizerModel } from './model';

export class WordLevelModel implements TokenizerModel {
  readonly type = 'WordLevel' as const;
  readonly size: number;
  readonly idLimit: number;
  private readonly tokens: string[];

  constructor(
    private readonly vocabulary: Map<string, number>,
    readonly unkToken: string,
  ) {
    const reversed = reverseVocabulary(vocabulary);
    this.tokens = reversed.tokens;
    this.idLimit = reversed.idLimit;
    this.size = vocabulary.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocabulary.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  tokenize(word: string, ids: number[], offsets: number[] | null): void {
    const id = this.vocabulary.get(word) ?? this.vocabulary.get(this.unkToken);
    if (id === undefined) return;
    ids.push(id);
    offsets?.push(0, word.length);
  }
}
