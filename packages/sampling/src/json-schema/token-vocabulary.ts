/**
 * The bytes each token id stands for, read from tokenizer.json: byte-level BPE tokens
 * through GPT-2's byte<->unicode table, SentencePiece pieces with `▁` as a space and
 * `<0xNN>` byte-fallback tokens as their byte. Special tokens have no bytes (they are
 * never part of constrained text). Built once per tokenizer.
 */
import type { TokenizerV1 } from '@llmr/core';

export interface TokenVocabulary {
  /** bytes[id], or undefined for special tokens and unknown ids. */
  bytes: (Uint8Array | undefined)[];
}

/** GPT-2's byte -> printable character table, inverted. */
function unicodeToBytes(): Map<string, number> {
  const printable: number[] = [];
  for (let value = 33; value <= 126; value++) printable.push(value);
  for (let value = 161; value <= 172; value++) printable.push(value);
  for (let value = 174; value <= 255; value++) printable.push(value);
  const table = new Map<string, number>();
  let extra = 0;
  for (let value = 0; value < 256; value++) {
    if (printable.includes(value)) table.set(String.fromCharCode(value), value);
    else table.set(String.fromCharCode(256 + extra++), value);
  }
  return table;
}

function usesByteLevel(decoder: unknown): boolean {
  if (!decoder || typeof decoder !== 'object') return false;
  const node = decoder as { type?: string; decoders?: unknown[] };
  if (node.type === 'ByteLevel') return true;
  return Array.isArray(node.decoders) && node.decoders.some(usesByteLevel);
}

/** A tokenizer that can name each id (as @llmr/tokenizer's Tokenizer does). */
export interface NamedTokenizer extends TokenizerV1 {
  idToToken?(id: number): string | undefined;
}

export function tokenVocabulary(
  tokenizer: NamedTokenizer,
  tokenizerJson?: Record<string, unknown>,
): TokenVocabulary {
  const encoder = new TextEncoder();
  const special = new Set(tokenizer.specialTokens.all);
  const byteLevel = usesByteLevel(tokenizerJson?.decoder);
  const table = byteLevel ? unicodeToBytes() : undefined;
  const bytes: (Uint8Array | undefined)[] = new Array(tokenizer.vocabularySize);
  for (let id = 0; id < tokenizer.vocabularySize; id++) {
    if (special.has(id)) continue;
    const name = tokenizer.idToToken?.(id);
    if (name === undefined) {
      // No names: fall back to decoding the id alone (fine for whole-character tokens).
      const text = tokenizer.decode([id], { skipSpecialTokens: true });
      if (text && !text.includes('\uFFFD')) bytes[id] = encoder.encode(text);
      continue;
    }
    if (table) {
      const out: number[] = [];
      let ok = true;
      for (const character of name) {
        const value = table.get(character);
        if (value === undefined) {
          ok = false;
          break;
        }
        out.push(value);
      }
      // An added (non-special) token is stored as plain text, not byte-level symbols.
      bytes[id] = ok ? Uint8Array.from(out) : encoder.encode(name);
      continue;
    }
    const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(name);
    if (fallback) bytes[id] = Uint8Array.of(Number.parseInt(fallback[1]!, 16));
    else bytes[id] = encoder.encode(name.replaceAll('\u2581', ' '));
  }
  return { bytes };
}
