/**
 * A protobuf writer for one hot path (OTLP span export): one pass into a buffer that is kept
 * from call to call and grows by doubling, length prefixes reserved and shifted only when a
 * message's length needs another byte, and the UTF-8 encodings of short strings kept in a
 * bounded cache, since a traced server sends the same attribute keys, span names and most
 * values with every span. Every encoding choice matches the OpenTelemetry SDK's
 * `ProtobufWriter` (`@opentelemetry/otlp-transformer`), byte for byte: that is what
 * `otlp-span-serializer.test.ts` checks.
 */

/** Strings up to this many UTF-16 units are cached; longer ones are rarely repeated. */
export const MAX_CACHED_STRING_LENGTH = 128;
/** Entries of the string cache before it starts over: bounds its memory (about 400 KB at most). */
export const DEFAULT_STRING_CACHE_ENTRIES = 1024;
const INITIAL_BUFFER_BYTES = 64 * 1024;
/** A buffer grown past this for one big request is dropped after it, not kept for the next. */
const KEPT_BUFFER_BYTES = 4 * 1024 * 1024;
const TWO_TO_32 = 4294967296;

/** Bytes of the varint of `value`, 0 <= value < 2^32. */
function varint32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** The SDK's hex digit value: garbage in gives its garbage out, so ids that are not hex encode alike. */
function hexDigitValue(charCode: number): number {
  if (charCode >= 48 && charCode <= 57) return charCode - 48;
  if (charCode >= 97 && charCode <= 102) return charCode - 87;
  return charCode - 55;
}

const HEX_DIGIT_VALUES = new Int32Array(256);
for (let code = 0; code < 256; code++) HEX_DIGIT_VALUES[code] = hexDigitValue(code);

/** Encodes into a Uint8Array kept between calls; `finish` copies the result out. */
export class ProtobufWriter {
  private buffer = new Uint8Array(INITIAL_BUFFER_BYTES);
  private view = new DataView(this.buffer.buffer);
  private readonly encoder = new TextEncoder();
  private readonly stringCache = new Map<string, Uint8Array>();
  position = 0;

  constructor(private readonly stringCacheEntries = DEFAULT_STRING_CACHE_ENTRIES) {}

  /** Entries in the string cache now (for tests of its bound). */
  get cachedStrings(): number {
    return this.stringCache.size;
  }

  reset(): void {
    this.position = 0;
  }

  /** A copy of what was written: the buffer is overwritten by the next request. */
  finish(): Uint8Array {
    const result = this.buffer.slice(0, this.position);
    if (this.buffer.length > KEPT_BUFFER_BYTES) {
      this.buffer = new Uint8Array(INITIAL_BUFFER_BYTES);
      this.view = new DataView(this.buffer.buffer);
    }
    this.position = 0;
    return result;
  }

  private ensure(bytes: number): void {
    const needed = this.position + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.position));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  /** A tag or any value known to be 0 <= value < 2^32. */
  varint32(value: number): void {
    this.ensure(5);
    const buffer = this.buffer;
    let position = this.position;
    while (value > 0x7f) {
      buffer[position++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buffer[position++] = value;
    this.position = position;
  }

  /**
   * Any number as the SDK writes it: unsigned 32-bit values directly, others as 64-bit two's
   * complement (negative integers take 10 bytes; NaN and undefined counts write 0).
   */
  varint(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.varint32(value >>> 0);
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / TWO_TO_32) >>> 0;
    } else {
      const magnitude = Math.abs(value);
      low = ~(magnitude >>> 0) >>> 0;
      high = ~((magnitude / TWO_TO_32) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    this.ensure(10);
    const buffer = this.buffer;
    let position = this.position;
    while (high > 0 || low > 0x7f) {
      buffer[position++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buffer[position++] = low & 0x7f;
    this.position = position;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.position, value >>> 0, true);
    this.position += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    const view = this.view;
    view.setUint32(this.position, low >>> 0, true);
    view.setUint32(this.position + 4, high >>> 0, true);
    this.position += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.position, value, true);
    this.position += 8;
  }

  /**
   * A length-delimited byte string from a hex id, as the SDK's `hexToBinary`: `length / 2`
   * bytes (rounded down), two digits each.
   */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.ensure(5 + length);
    const buffer = this.buffer;
    let position = this.position;
    if (length < 0x80) buffer[position++] = length;
    else {
      this.varint32(length);
      position = this.position;
    }
    for (let index = 0; index < length; index++) {
      const high = hex.charCodeAt(2 * index);
      const low = hex.charCodeAt(2 * index + 1);
      buffer[position++] =
        ((high < 256 ? (HEX_DIGIT_VALUES[high] as number) : high - 55) << 4) |
        (low < 256 ? (HEX_DIGIT_VALUES[low] as number) : low - 55);
    }
    this.position = position;
  }

  bytes(value: Uint8Array): void {
    this.varint32(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.position);
    this.position += value.length;
  }

  /** A length-delimited UTF-8 string (lone surrogates as U+FFFD, as TextEncoder writes them). */
  string(value: string): void {
    if (value.length > MAX_CACHED_STRING_LENGTH) {
      this.uncachedString(value);
      return;
    }
    const cached = this.stringCache.get(value);
    if (cached !== undefined) {
      const length = cached.length;
      this.ensure(length);
      const buffer = this.buffer;
      const position = this.position;
      if (length <= 32)
        for (let index = 0; index < length; index++)
          buffer[position + index] = cached[index] as number;
      else buffer.set(cached, position);
      this.position = position + length;
      return;
    }
    const start = this.position;
    this.uncachedString(value);
    // A stream of distinct values starts the cache over rather than growing it.
    if (this.stringCache.size >= this.stringCacheEntries) this.stringCache.clear();
    this.stringCache.set(value, this.buffer.slice(start, this.position));
  }

  private uncachedString(value: string): void {
    const length = value.length;
    if (length < 0x80) {
      // ASCII in one pass: the length byte is the number of characters.
      this.ensure(1 + length);
      const buffer = this.buffer;
      const start = this.position;
      let index = 0;
      for (; index < length; index++) {
        const code = value.charCodeAt(index);
        if (code >= 0x80) break;
        buffer[start + 1 + index] = code;
      }
      if (index === length) {
        buffer[start] = length;
        this.position = start + 1 + length;
        return;
      }
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit: reserve the length's varint for that, then
    // move the bytes back if the real length needs fewer.
    const reserved = varint32Size(length * 3);
    this.ensure(reserved + length * 3);
    const start = this.position;
    const written = this.encoder.encodeInto(
      value,
      this.buffer.subarray(start + reserved, start + reserved + length * 3),
    ).written;
    const needed = varint32Size(written);
    if (needed !== reserved)
      this.buffer.copyWithin(start + needed, start + reserved, start + reserved + written);
    this.position = start;
    this.varint32(written);
    this.position = start + needed + written;
  }

  /** Reserves `reserved` bytes for a length prefix; pass the result to `finishLength`. */
  startLength(reserved: number): number {
    this.ensure(reserved);
    const start = this.position;
    this.position = start + reserved;
    return start;
  }

  /** Writes the length of what followed `startLength`, moving it when the prefix is not `reserved` bytes. */
  finishLength(start: number, reserved: number): void {
    const contentStart = start + reserved;
    const length = this.position - contentStart;
    const needed = varint32Size(length);
    if (needed !== reserved) {
      this.ensure(needed - reserved);
      this.buffer.copyWithin(start + needed, contentStart, this.position);
      this.position += needed - reserved;
    }
    const end = this.position;
    this.position = start;
    this.varint32(length);
    this.position = end;
  }
}
