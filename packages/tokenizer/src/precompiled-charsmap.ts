/**
 * SentencePiece's precompiled normalization map (`precompiled_charsmap` in tokenizer.json):
 * a darts-clone double-array trie from UTF-8 keys to offsets into a pool of NUL-terminated
 * replacement strings. The reference looks each grapheme up whole (when shorter than six
 * bytes), then each of its characters.
 */
import { tokenizerJsonError } from './json-fields';
import { utf8Encode } from './unicode';

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly pool: Uint8Array;
  private readonly decoder = new TextDecoder();
  private readonly cache = new Map<string, string | null>();
  private readonly segmenter: { segment(text: string): Iterable<{ segment: string }> } | null;

  constructor(base64: string, path: string) {
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(base64);
    } catch (error) {
      throw tokenizerJsonError(path, 'is not valid base64.', error);
    }
    if (bytes.length < 4) throw tokenizerJsonError(path, 'is too short to hold a charsmap.');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieSize = view.getUint32(0, true);
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length) {
      throw tokenizerJsonError(
        path,
        `declares a trie of ${trieSize} bytes, which does not fit the data.`,
      );
    }
    this.units = new Uint32Array(trieSize / 4);
    for (let index = 0; index < this.units.length; index++) {
      this.units[index] = view.getUint32(4 + index * 4, true);
    }
    this.pool = bytes.subarray(4 + trieSize);
    const Segmenter = (
      Intl as unknown as { Segmenter?: new (locale?: string, options?: object) => never }
    ).Segmenter;
    this.segmenter = Segmenter ? new Segmenter(undefined, { granularity: 'grapheme' }) : null;
  }

  /** The first (shortest) replacement whose key is a prefix of `chunk`, as the reference does. */
  private transform(chunk: string): string | null {
    const cached = this.cache.get(chunk);
    if (cached !== undefined) return cached;
    const units = this.units;
    const key = utf8Encode(chunk);
    let result: string | null = null;
    let position = 0;
    let unit = units[0] ?? 0;
    position ^= offsetOf(unit);
    for (const byte of key) {
      if (byte === 0) break;
      position ^= byte;
      unit = units[position] ?? 0;
      if ((unit & (0x80000000 | 0xff)) >>> 0 !== byte) break;
      position ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        const value = (units[position] ?? 0) & 0x7fffffff;
        let end = value;
        while (end < this.pool.length && this.pool[end] !== 0) end++;
        result = this.decoder.decode(this.pool.subarray(value, end));
        break;
      }
    }
    if (this.cache.size < 50_000) this.cache.set(chunk, result);
    return result;
  }

  /** Maps each grapheme (or character) of `text` through the charsmap. */
  normalizeChunks(text: string, emit: (source: string, replacement: string) => void): void {
    const graphemes = this.segmenter
      ? this.segmenter.segment(text)
      : [...text].map((segment) => ({ segment }));
    for (const { segment } of graphemes) {
      if (utf8Encode(segment).length < 6) {
        const replacement = this.transform(segment);
        if (replacement !== null) {
          emit(segment, replacement);
          continue;
        }
      }
      for (const char of segment) {
        const replacement = this.transform(char);
        emit(char, replacement ?? char);
      }
    }
  }
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
