/**
 * llama2.c's `tokenizer.bin` (written by its tokenizer.py): a uint32 max token length, then for
 * each token a float32 score, a uint32 byte length and the bytes. The count is not stored; it is
 * the model's vocabulary size. Pieces are SentencePiece's with `▁` written as a space, and BOS
 * and EOS written as "\n<s>\n" and "\n</s>\n".
 */
import { llama2cError } from './llama2c-header';

/** Longest token accepted, in bytes (SentencePiece pieces are a few dozen bytes). */
export const MAX_LLAMA2C_TOKEN_LENGTH = 64 * 1024;

export interface Llama2cVocabulary {
  maxTokenLength: number;
  /** Each token's bytes, as stored. */
  pieces: Uint8Array[];
  scores: Float32Array;
}

export function parseLlama2cTokenizer(bytes: Uint8Array, vocabSize: number): Llama2cVocabulary {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (message: string, offset: number) =>
    llama2cError(
      'llama2c-invalid-tokenizer',
      `tokenizer.bin at byte ${offset}: ${message}`,
      offset,
    );
  if (bytes.byteLength < 4) throw fail('too short to hold the max token length', 0);
  const maxTokenLength = view.getUint32(0, true);
  if (maxTokenLength > MAX_LLAMA2C_TOKEN_LENGTH)
    throw fail(`max token length ${maxTokenLength} is above ${MAX_LLAMA2C_TOKEN_LENGTH}`, 0);
  // Each token takes at least 8 bytes, so a vocabulary that cannot fit is refused before allocating.
  if (vocabSize * 8 > bytes.byteLength - 4)
    throw fail(
      `${bytes.byteLength} bytes cannot hold ${vocabSize} tokens (the model's vocab_size)`,
      4,
    );
  const pieces: Uint8Array[] = [];
  const scores = new Float32Array(vocabSize);
  let at = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (at + 8 > bytes.byteLength) throw fail(`the file ends at token ${id} of ${vocabSize}`, at);
    scores[id] = view.getFloat32(at, true);
    const length = view.getUint32(at + 4, true);
    if (length > maxTokenLength)
      throw fail(
        `token ${id} is ${length} bytes, above the declared max ${maxTokenLength}`,
        at + 4,
      );
    at += 8;
    if (at + length > bytes.byteLength) throw fail(`the file ends inside token ${id}`, at);
    pieces.push(bytes.slice(at, at + length));
    at += length;
  }
  return { maxTokenLength, pieces, scores };
}

export type SentencePieceKind = 'normal' | 'unknown' | 'control' | 'byte';

/**
 * Back to SentencePiece's own pieces (`▁` for spaces, `<s>`/`</s>`), with each token's kind:
 * id 0 is `<unk>`, ids 1 and 2 BOS and EOS (llama2.c's convention), `<0xAB>` pieces are bytes.
 */
export function llama2cSentencePieces(vocabulary: Llama2cVocabulary): {
  tokens: string[];
  kinds: SentencePieceKind[];
} {
  const decoder = new TextDecoder('utf-8');
  const tokens = vocabulary.pieces.map((piece, id) => {
    const text = decoder.decode(piece);
    if (id === 1 && text === '\n<s>\n') return '<s>';
    if (id === 2 && text === '\n</s>\n') return '</s>';
    return text.replaceAll(' ', '\u2581');
  });
  const kinds = tokens.map((token, id): SentencePieceKind => {
    if (id === 0) return 'unknown';
    if (id === 1 || id === 2) return 'control';
    return /^<0x[0-9A-F]{2}>$/.test(token) ? 'byte' : 'normal';
  });
  return { tokens, kinds };
}
