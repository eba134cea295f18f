/**
 * IEEE half (F16) and bfloat16 (BF16) conversions with the rounding ggml and PyTorch use (round
 * to nearest, ties to even), so scales written here read back in llama.cpp bit for bit; plus the
 * two FP8 formats safetensors knows (E4M3FN, E5M2), decode only.
 */

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** The F16 bit pattern nearest to `value` (round to nearest even; NaN stays NaN). */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  return float32BitsToFloat16Bits(scratchBits[0]!);
}

/** Same as {@link float32ToFloat16Bits}, from the float32 bit pattern (no scratch round trip). */
export function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the full 24-bit significand into 10 bits.
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let result = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (result & 1) === 1)) result++;
    return sign | result;
  }
  let result = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (remainder > 0x1000 || (remainder === 0x1000 && (result & 1) === 1)) result++;
  return sign | result;
}

function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

let cachedFloat16Table: Float32Array | undefined;

/** All 65,536 half values as float32, built once on first use (256 KiB). */
export function float16Table(): Float32Array {
  if (!cachedFloat16Table) {
    const table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) table[bits] = float16BitsToNumber(bits);
    cachedFloat16Table = table;
  }
  return cachedFloat16Table;
}

/** The value of an F16 bit pattern. */
export function float16BitsToFloat32(bits: number): number {
  return float16Table()[bits & 0xffff]!;
}

/** The BF16 bit pattern for `value`, rounded like ggml (nearest even; NaN kept quiet). */
export function float32ToBfloat16Bits(value: number): number {
  scratchFloat[0] = value;
  return float32BitsToBfloat16Bits(scratchBits[0]!);
}

/** Same as {@link float32ToBfloat16Bits}, from the float32 bit pattern. */
export function float32BitsToBfloat16Bits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 64) & 0xffff;
  return ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16) & 0xffff;
}

/** The value of a BF16 bit pattern. */
export function bfloat16BitsToFloat32(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratchFloat[0]!;
}

/** Converts little-endian F16 bytes (2 per value) to float32. */
export function float16BytesToFloat32(
  bytes: Uint8Array,
  count = bytes.byteLength >>> 1,
): Float32Array {
  const table = float16Table();
  const output = new Float32Array(count);
  for (let index = 0, offset = 0; index < count; index++, offset += 2) {
    output[index] = table[bytes[offset]! | (bytes[offset + 1]! << 8)]!;
  }
  return output;
}

/** Converts little-endian BF16 bytes (2 per value) to float32. */
export function bfloat16BytesToFloat32(
  bytes: Uint8Array,
  count = bytes.byteLength >>> 1,
): Float32Array {
  const bits = new Uint32Array(count);
  for (let index = 0, offset = 0; index < count; index++, offset += 2) {
    bits[index] = (bytes[offset]! << 16) | (bytes[offset + 1]! << 24);
  }
  return new Float32Array(bits.buffer);
}

/** Writes `values` as little-endian F16 into `output` at `offset` (2 bytes per value). */
export function writeFloat16Bytes(values: Float32Array, output: Uint8Array, offset = 0): void {
  const bits = float32Bits(values);
  for (let index = 0, position = offset; index < bits.length; index++, position += 2) {
    const half = float32BitsToFloat16Bits(bits[index]!);
    output[position] = half & 0xff;
    output[position + 1] = half >>> 8;
  }
}

/** Writes `values` as little-endian BF16 into `output` at `offset` (2 bytes per value). */
export function writeBfloat16Bytes(values: Float32Array, output: Uint8Array, offset = 0): void {
  const bits = float32Bits(values);
  for (let index = 0, position = offset; index < bits.length; index++, position += 2) {
    const half = float32BitsToBfloat16Bits(bits[index]!);
    output[position] = half & 0xff;
    output[position + 1] = half >>> 8;
  }
}

/** The bit patterns of `values`, without copying (a Float32Array is always 4-byte aligned). */
function float32Bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Decodes FP8 E4M3FN bytes (bias 7, no infinities, S.1111.111 is NaN) to float32. */
export function float8E4M3BytesToFloat32(bytes: Uint8Array): Float32Array {
  const table = new Float32Array(256);
  for (let bits = 0; bits < 256; bits++) {
    const sign = bits & 0x80 ? -1 : 1;
    const exponent = (bits >>> 3) & 0x0f;
    const mantissa = bits & 0x07;
    if (exponent === 0x0f && mantissa === 0x07) table[bits] = Number.NaN;
    else if (exponent === 0) table[bits] = sign * mantissa * 2 ** -9;
    else table[bits] = sign * (1 + mantissa / 8) * 2 ** (exponent - 7);
  }
  return Float32Array.from(bytes, (bits) => table[bits]!);
}

/** Decodes FP8 E5M2 bytes (the top byte of an F16) to float32. */
export function float8E5M2BytesToFloat32(bytes: Uint8Array): Float32Array {
  const table = float16Table();
  return Float32Array.from(bytes, (bits) => table[bits << 8]!);
}
