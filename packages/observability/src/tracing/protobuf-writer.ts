/**
 * A protobuf writer for one hot path (OTLP span export): one pass, requests written one after
 * the other into large slabs (no allocation or copy per request), length prefixes reserved
 * and shifted only when a message's length needs another byte, and the UTF-8 encodings of
 * short strings kept in bounded caches, since a traced server sends the same attribute keys,
 * span names and most values with every span. Every encoding choice matches the
 * OpenTelemetry SDK's `ProtobufWriter` (`@opentelemetry/otlp-transformer`), byte for byte:
 * that is what `otlp-span-serializer.test.ts` checks.
 */
import { PairEncodingCache } from './pair-encoding-cache';

/** Strings up to this many UTF-16 units are cached; longer ones are rarely repeated. */
export const MAX_CACHED_STRING_LENGTH = 128;
/** Entries of each cache before it starts over: bounds their memory (about 1.2 MB at most together). */
export const DEFAULT_CACHE_ENTRIES = 1024;
/**
 * Requests are written one after the other into slabs of this size, so that most need no
 * allocation and no copy of their own; a request that outgrows what is left moves, with what
 * it wrote so far, to a new slab (at least twice its size).
 */
const SLAB_BYTES = 1024 * 1024;
/** A request starts on a new slab when less than this is left of the current one. */
const MIN_FREE_BYTES = 64 * 1024;

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

/** Encodes requests one after the other into slabs; `finish` hands out a view no later request writes over. */
export class ProtobufWriter {
  private buffer = new Uint8Array(SLAB_BYTES);
  private view = new DataView(this.buffer.buffer);
  /** Where the request being written begins in `buffer`. */
  private requestStart = 0;
  private readonly encoder = new TextEncoder();
  private readonly stringCache = new Map<string, Uint8Array>();
  /** Whole `KeyValue`s (with their length) by key and string or boolean value. */
  readonly keyValues: PairEncodingCache<string | boolean>;
  position = 0;

  constructor(private readonly cacheEntries = DEFAULT_CACHE_ENTRIES) {
    this.keyValues = new PairEncodingCache(cacheEntries);
  }

  /** Entries in the string cache now (for tests of its bound). */
  get cachedStrings(): number {
    return this.stringCache.size;
  }

  /** Starts a request where the last one ended: the bytes handed out before stay as they are. */
  reset(): void {
    this.requestStart = this.position;
    if (this.buffer.length - this.position < MIN_FREE_BYTES)
      this.moveTo(new Uint8Array(SLAB_BYTES));
  }

  /**
   * The request's bytes: a view of the slab, which no later request writes over (each starts
   * past the end of the one before, on a new slab when this one is full). A slab is freed
   * once no request's bytes refer to it any more.
   */
  finish(): Uint8Array {
    const result = this.buffer.subarray(this.requestStart, this.position);
    this.requestStart = this.position;
    return result;
  }

  /** Continues the request on `slab`, carrying over what was written of it. */
  private moveTo(slab: Uint8Array<ArrayBuffer>): void {
    slab.set(this.buffer.subarray(this.requestStart, this.position));
    this.position -= this.requestStart;
    this.requestStart = 0;
    this.buffer = slab;
    this.view = new DataView(slab.buffer);
  }

  private ensure(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const needed = this.position - this.requestStart + bytes;
    let size = SLAB_BYTES;
    while (size < needed * 2) size *= 2;
    this.moveTo(new Uint8Array(size));
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
      this.putVarint32(position, length);
      position += varint32Size(length);
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

  /** Bytes encoded before (a cached encoding), copied as they are. */
  raw(encoded: Uint8Array): void {
    const length = encoded.length;
    this.ensure(length);
    const buffer = this.buffer;
    const position = this.position;
    // A loop beats `set` on the short arrays most cached encodings are.
    if (length <= 32)
      for (let index = 0; index < length; index++)
        buffer[position + index] = encoded[index] as number;
    else buffer.set(encoded, position);
    this.position = position + length;
  }

  /** A copy of what was written since `mark()` returned `mark`, to cache. */
  copyFrom(mark: number): Uint8Array {
    return this.buffer.slice(this.requestStart + mark, this.position);
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
      this.raw(cached);
      return;
    }
    const start = this.mark();
    this.uncachedString(value);
    // A stream of distinct values starts the cache over rather than growing it.
    if (this.stringCache.size >= this.cacheEntries) this.stringCache.clear();
    this.stringCache.set(value, this.copyFrom(start));
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
    this.putVarint32(start, written);
    this.position = start + needed + written;
  }

  /**
   * Where the writer is, as an offset into the request: it stays right when the request moves
   * to a new slab, an index into the slab would not.
   */
  mark(): number {
    return this.position - this.requestStart;
  }

  /** Reserves `reserved` bytes for a length prefix; pass the result to `finishLength`. */
  startLength(reserved: number): number {
    this.ensure(reserved);
    const mark = this.position - this.requestStart;
    this.position += reserved;
    return mark;
  }

  /** Writes the length of what followed `startLength`, moving it when the prefix is not `reserved` bytes. */
  finishLength(mark: number, reserved: number): void {
    const length = this.position - (this.requestStart + mark + reserved);
    const needed = varint32Size(length);
    if (needed > reserved) this.ensure(needed - reserved);
    const start = this.requestStart + mark;
    if (needed !== reserved) {
      this.buffer.copyWithin(start + needed, start + reserved, this.position);
      this.position += needed - reserved;
    }
    this.putVarint32(start, length);
  }

  /** A varint into room made for it before: no `ensure`, which could move the request under it. */
  private putVarint32(position: number, value: number): void {
    const buffer = this.buffer;
    while (value > 0x7f) {
      buffer[position++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buffer[position] = value;
  }
}
