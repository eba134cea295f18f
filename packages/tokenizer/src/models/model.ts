/** What every tokenization model (BPE, Unigram, WordPiece, WordLevel) provides. */
export interface TokenizerModel {
  readonly type: 'BPE' | 'Unigram' | 'WordPiece' | 'WordLevel';
  /**
   * Appends the ids for one pre-tokenized word to `ids`, and when `offsets` is given, the
   * `[start, end)` of each token within `word` (UTF-16 units) to it.
   */
  tokenize(word: string, ids: number[], offsets: number[] | null): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Number of entries in the model's vocabulary. */
  readonly size: number;
  /** Largest id in the vocabulary plus one. */
  readonly idLimit: number;
  /** The unknown token, when the model has one. */
  readonly unkToken?: string;
}

/** Builds the id -> token table from a token -> id map. */
export function reverseVocabulary(vocabulary: Map<string, number>): {
  tokens: string[];
  idLimit: number;
} {
  let idLimit = 0;
  for (const id of vocabulary.values()) if (id + 1 > idLimit) idLimit = id + 1;
  const tokens = new Array<string>(idLimit);
  for (const [token, id] of vocabulary) tokens[id] = token;
  return { tokens, idLimit };
}
