/** Reads the `model` section of tokenizer.json. */
import {
  describe,
  isObject,
  MAX_MERGES,
  MAX_VOCABULARY_SIZE,
  readArray,
  readBoolean,
  readInteger,
  readObject,
  readOptionalString,
  readTokenId,
  tokenizerJsonError,
} from '../json-fields';
import { BpeModel } from './bpe-model';
import type { TokenizerModel } from './model';
import { UnigramModel } from './unigram-model';
import { WordLevelModel } from './wordlevel-model';
import { WordPieceModel } from './wordpiece-model';

function readVocabularyMap(value: unknown, path: string): Map<string, number> {
  const object = readObject(value, path);
  const entries = Object.entries(object);
  if (entries.length > MAX_VOCABULARY_SIZE) {
    throw tokenizerJsonError(
      path,
      `has ${entries.length} entries, more than ${MAX_VOCABULARY_SIZE}.`,
    );
  }
  const vocabulary = new Map<string, number>();
  for (const [token, id] of entries)
    vocabulary.set(token, readTokenId(id, `${path}[${JSON.stringify(token)}]`));
  return vocabulary;
}

function readMerges(value: unknown, path: string): Array<[string, string]> {
  const merges = readArray(value ?? [], path, MAX_MERGES);
  return merges.map((merge, index) => {
    if (typeof merge === 'string') {
      const space = merge.indexOf(' ');
      if (space < 0) {
        throw tokenizerJsonError(
          `${path}[${index}]`,
          `is ${JSON.stringify(merge)}, not two tokens separated by a space.`,
        );
      }
      return [merge.slice(0, space), merge.slice(space + 1)];
    }
    if (
      Array.isArray(merge) &&
      merge.length === 2 &&
      typeof merge[0] === 'string' &&
      typeof merge[1] === 'string'
    ) {
      return [merge[0], merge[1]];
    }
    throw tokenizerJsonError(
      `${path}[${index}]`,
      `must be "a b" or ["a", "b"], got ${describe(merge)}.`,
    );
  });
}

function inferType(object: Record<string, unknown>): string {
  if (object.merges !== undefined) return 'BPE';
  if (Array.isArray(object.vocab)) return 'Unigram';
  if (object.max_input_chars_per_word !== undefined) return 'WordPiece';
  return 'WordLevel';
}

export function createModel(value: unknown, path = 'model'): TokenizerModel {
  const object = readObject(value, path);
  const type = typeof object.type === 'string' ? object.type : inferType(object);
  switch (type) {
    case 'BPE': {
      const dropout = object.dropout;
      if (typeof dropout === 'number' && dropout > 0) {
        throw tokenizerJsonError(
          `${path}.dropout`,
          'is set; BPE dropout is random and llmr does not support it. Remove it for inference.',
        );
      }
      return new BpeModel({
        vocabulary: readVocabularyMap(object.vocab, `${path}.vocab`),
        merges: readMerges(object.merges, `${path}.merges`),
        unkToken: readOptionalString(object, 'unk_token', path),
        continuingSubwordPrefix: readOptionalString(object, 'continuing_subword_prefix', path),
        endOfWordSuffix: readOptionalString(object, 'end_of_word_suffix', path),
        fuseUnk: readBoolean(object, 'fuse_unk', path, false),
        byteFallback: readBoolean(object, 'byte_fallback', path, false),
        ignoreMerges: readBoolean(object, 'ignore_merges', path, false),
        path,
      });
    }
    case 'Unigram': {
      const entries = readArray(object.vocab, `${path}.vocab`);
      const vocabulary = entries.map((entry, index): [string, number] => {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
          throw tokenizerJsonError(
            `${path}.vocab[${index}]`,
            `must be ["piece", score], got ${describe(entry)}.`,
          );
        }
        return [entry[0], entry[1]];
      });
      const unkId =
        object.unk_id === null || object.unk_id === undefined
          ? undefined
          : readInteger(object, 'unk_id', path);
      return new UnigramModel({
        vocabulary,
        unkId,
        byteFallback: readBoolean(object, 'byte_fallback', path, false),
        path,
      });
    }
    case 'WordPiece':
      return new WordPieceModel({
        vocabulary: readVocabularyMap(object.vocab, `${path}.vocab`),
        unkToken: readOptionalString(object, 'unk_token', path) ?? '[UNK]',
        continuingSubwordPrefix:
          readOptionalString(object, 'continuing_subword_prefix', path) ?? '##',
        maxInputCharsPerWord: readInteger(object, 'max_input_chars_per_word', path, 100),
      });
    case 'WordLevel':
      return new WordLevelModel(
        readVocabularyMap(object.vocab, `${path}.vocab`),
        readOptionalString(object, 'unk_token', path) ?? '<unk>',
      );
    default:
      throw tokenizerJsonError(
        `${path}.type`,
        `is ${isObject(object) ? JSON.stringify(type) : 'missing'}; llmr supports BPE, Unigram, WordPiece and WordLevel.`,
      );
  }
}
