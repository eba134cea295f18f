/**
 * ggml's ternary types for BitNet b1.58 and TriLM weights, with the semantics of ggml's
 * `quantize_row_tq{1,2}_0_ref` and `dequantize_row_tq{1,2}_0`. Both hold 256 values per block
 * with one F16 scale `d` (the block's absolute maximum); each value is a trit t in {-1, 0, 1}
 * and decodes to t * d, so blocks written from ternary values (times one scale) decode exactly.
 *
 * - TQ1_0 (54 bytes, 1.6875 bits a value): qs[48] hold five trits a byte, qh[4] four trits a
 *   byte, then d. A byte stores its trits as the base-3 number they form (first trit most
 *   significant), scaled to 0..255 by ceil(n * 256 / 243), so trit k is read back as
 *   ((byte * 3^k) mod 256) * 3 >> 8 without a division. qs[0..31] hold values 0..159 (byte m,
 *   trit n: value 32n + m), qs[32..47] values 160..239 (16n + m), and qh[j] values 240..255
 *   (trit n: value 240 + 4n + j; its fifth trit is always 0).
 * - TQ2_0 (66 bytes, 2.0625 bits a value): qs[64] hold trit + 1 in 2-bit fields, then d. In each
 *   group of 32 bytes, byte m holds values 128g + m + 32l in bits 2l..2l+1.
 */
import { float16Table, float32ToFloat16Bits } from '@llmr/binary-io';
import type { BlockDecoder } from './dequantize';
import type { BlockEncoder } from './quantize';

const fround = Math.fround;
const POWERS_OF_THREE = [1, 3, 9, 27, 81, 243] as const;
export const TQ1_0_BLOCK_BYTES = 54;
export const TQ2_0_BLOCK_BYTES = 66;

function blockAbsoluteMax(values: Float32Array, first: number): number {
  let amax = 0;
  for (let j = 0; j < 256; j++) {
    const absolute = Math.abs(values[first + j]!);
    // biome-ignore lint/complexity/useMathMinMax: ggml's MAX macro, whose NaN behaviour Math.max does not share.
    amax = amax > absolute ? amax : absolute;
  }
  return amax;
}

/** `lroundf(x * id) + 1`: the trit of a value as 0, 1 or 2 (halves round away from zero). */
function trit(value: number, inverseScale: number): number {
  const scaled = fround(value * inverseScale);
  return (scaled < 0 ? -Math.floor(-scaled + 0.5) : Math.floor(scaled + 0.5)) + 1;
}

/** A byte of up to five trits: their base-3 number as uint8, then ceil(n * 256 / 243). */
function packTrits(digits: number): number {
  return Math.floor(((digits & 0xff) * 256 + 242) / 243);
}

function writeScale(output: Uint8Array, offset: number, d: number): void {
  const half = float32ToFloat16Bits(d);
  output[offset] = half & 0xff;
  output[offset + 1] = half >>> 8;
}

/**
 * The loop both types share: d = the block's absolute maximum (stored as F16 in the last two
 * bytes), id = 1 / d, and `packBlock` to write the trits of values first..first+255 at base.
 */
function ternaryEncoder(
  blockBytes: number,
  packBlock: (
    values: Float32Array,
    first: number,
    id: number,
    output: Uint8Array,
    base: number,
  ) => void,
): BlockEncoder {
  return (values, blockCount, output, offset) => {
    for (let block = 0; block < blockCount; block++) {
      const first = block * 256;
      const d = blockAbsoluteMax(values, first);
      const base = offset + block * blockBytes;
      packBlock(values, first, d ? fround(1 / d) : 0, output, base);
      writeScale(output, base + blockBytes - 2, d);
    }
  };
}

function ternaryDecoder(
  blockBytes: number,
  unpackBlock: (
    bytes: Uint8Array,
    base: number,
    d: number,
    output: Float32Array,
    out: number,
  ) => void,
): BlockDecoder {
  return (bytes, blockCount, output) => {
    const table = float16Table();
    for (let block = 0; block < blockCount; block++) {
      const base = block * blockBytes;
      const end = base + blockBytes;
      unpackBlock(
        bytes,
        base,
        table[bytes[end - 2]! | (bytes[end - 1]! << 8)]!,
        output,
        block * 256,
      );
    }
  };
}

export const encodeTQ1_0 = ternaryEncoder(TQ1_0_BLOCK_BYTES, (values, first, id, output, base) => {
  for (let m = 0; m < 32; m++) {
    let digits = 0;
    for (let n = 0; n < 5; n++) digits = digits * 3 + trit(values[first + m + 32 * n]!, id);
    output[base + m] = packTrits(digits);
  }
  for (let m = 0; m < 16; m++) {
    let digits = 0;
    for (let n = 0; n < 5; n++) digits = digits * 3 + trit(values[first + 160 + m + 16 * n]!, id);
    output[base + 32 + m] = packTrits(digits);
  }
  for (let j = 0; j < 4; j++) {
    let digits = 0;
    for (let m = 0; m < 4; m++) digits = digits * 3 + trit(values[first + 240 + j + 4 * m]!, id);
    // The fifth (least significant) trit is zero, so the first value is the most significant.
    output[base + 48 + j] = packTrits(digits * 3);
  }
});

export const encodeTQ2_0 = ternaryEncoder(TQ2_0_BLOCK_BYTES, (values, first, id, output, base) => {
  for (let group = 0; group < 2; group++) {
    for (let m = 0; m < 32; m++) {
      let byte = 0;
      for (let n = 0; n < 4; n++) {
        byte |= (trit(values[first + 128 * group + m + 32 * n]!, id) & 3) << (2 * n);
      }
      output[base + 32 * group + m] = byte;
    }
  }
});

/** Trit `power` (0 = most significant) of a TQ1_0 byte, as -1, 0 or 1. */
function unpackTrit(byte: number, power: number): number {
  return ((((byte * POWERS_OF_THREE[power]!) & 0xff) * 3) >>> 8) - 1;
}

export const decodeTQ1_0 = ternaryDecoder(TQ1_0_BLOCK_BYTES, (bytes, base, d, output, first) => {
  let out = first;
  for (let n = 0; n < 5; n++) {
    for (let m = 0; m < 32; m++) output[out++] = unpackTrit(bytes[base + m]!, n) * d;
  }
  for (let n = 0; n < 5; n++) {
    for (let m = 0; m < 16; m++) output[out++] = unpackTrit(bytes[base + 32 + m]!, n) * d;
  }
  for (let n = 0; n < 4; n++) {
    for (let j = 0; j < 4; j++) output[out++] = unpackTrit(bytes[base + 48 + j]!, n) * d;
  }
});

export const decodeTQ2_0 = ternaryDecoder(TQ2_0_BLOCK_BYTES, (bytes, base, d, output, first) => {
  let out = first;
  for (let group = 0; group < 2; group++) {
    for (let l = 0; l < 4; l++) {
      for (let m = 0; m < 32; m++) {
        output[out++] = (((bytes[base + 32 * group + m]! >>> (2 * l)) & 3) - 1) * d;
      }
    }
  }
});
