/**
 * ggml's K-quant types (256 values a super-block), quantized with the semantics of ggml's
 * `quantize_row_q{2,3,4,5,6}_K_ref`: what llama.cpp's `llama-quantize` writes when it has no
 * importance matrix. Layouts (little-endian, d/dmin F16):
 * - Q2_K (84 bytes, 2.625 bits a value): scales[16] (4-bit scale | 4-bit min << 4 per 16 values),
 *   qs[64] (2 bits), d, dmin.
 * - Q3_K (110 bytes, 3.4375): hmask[32] (third bits), qs[64] (low 2 bits), scales[12] (sixteen
 *   6-bit scales, offset by 32), d.
 * - Q4_K (144 bytes, 4.5): d, dmin, scales[12] (eight 6-bit scales and mins), qs[128].
 * - Q5_K (176 bytes, 5.5): d, dmin, scales[12], qh[32] (fifth bits), qs[128].
 * - Q6_K (210 bytes, 6.5625): ql[128], qh[64], scales[16] (int8), d.
 * The 2-bit fields of Q2_K/Q3_K and the nibbles of Q4_K-Q6_K interleave the 32-value runs of
 * each 128 (or 64) values, in the order ggml's dequantizers read them.
 */
import { float16Table, float32ToFloat16Bits } from '@llmr/binary-io';
import { clamp, makeQ3Quants, makeQkx2Quants, makeQxQuants, nearestInt } from './k-quant-search';
import type { BlockEncoder } from './quantize';

const fround = Math.fround;
const QK_K = 256;
const GROUP_MAX_EPS = fround(1e-15);

function writeHalf(output: Uint8Array, offset: number, value: number): number {
  const half = float32ToFloat16Bits(value);
  output[offset] = half & 0xff;
  output[offset + 1] = half >>> 8;
  return float16Table()[half]!;
}

/** Packs four 2-bit levels a byte: byte l of each 32 holds levels l, l+32, l+64, l+96 of 128. */
function packTwoBitLevels(levels: Uint8Array, output: Uint8Array, base: number): void {
  for (let j = 0; j < QK_K; j += 128) {
    for (let l = 0; l < 32; l++) {
      output[base + j / 4 + l] =
        levels[j + l]! |
        (levels[j + l + 32]! << 2) |
        (levels[j + l + 64]! << 4) |
        (levels[j + l + 96]! << 6);
    }
  }
}

export const encodeQ2_K: BlockEncoder = (values, blockCount, output, offset) => {
  const levels = new Uint8Array(QK_K);
  const trial = new Uint8Array(16);
  const weights = new Float32Array(16);
  const scales = new Float32Array(16);
  const mins = new Float32Array(16);
  const search = { nmax: 3, rmin: -0.5, rdelta: fround(0.1), steps: 15, absoluteError: true };
  for (let block = 0; block < blockCount; block++) {
    const x = block * QK_K;
    const base = offset + block * 84;
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(values[x + 16 * j + l]!);
      const [scale, min] = makeQkx2Quants(
        16,
        values,
        x + 16 * j,
        weights,
        levels,
        16 * j,
        trial,
        search,
      );
      scales[j] = scale;
      mins[j] = min;
      if (scale > maxScale) maxScale = scale;
      if (min > maxMin) maxMin = min;
    }
    let d = 0;
    if (maxScale > 0) {
      const iscale = fround(15 / maxScale);
      for (let j = 0; j < 16; j++)
        output[base + j] = nearestInt(fround(iscale * scales[j]!)) & 0xff;
      d = writeHalf(output, base + 80, fround(maxScale / 15));
    } else {
      output.fill(0, base, base + 16);
      d = writeHalf(output, base + 80, 0);
    }
    let dmin = 0;
    if (maxMin > 0) {
      const iscale = fround(15 / maxMin);
      for (let j = 0; j < 16; j++)
        output[base + j] =
          (output[base + j]! | (nearestInt(fround(iscale * mins[j]!)) << 4)) & 0xff;
      dmin = writeHalf(output, base + 82, fround(maxMin / 15));
    } else {
      dmin = writeHalf(output, base + 82, 0);
    }
    for (let j = 0; j < 16; j++) {
      const packed = output[base + j]!;
      const scale = fround(d * (packed & 0x0f));
      // A zero scale keeps the levels of the search, as the reference does.
      if (!scale) continue;
      const shift = fround(dmin * (packed >>> 4));
      for (let i = 0; i < 16; i++) {
        const l = nearestInt(fround(fround(values[x + 16 * j + i]! + shift) / scale));
        levels[16 * j + i] = clamp(l, 0, 3);
      }
    }
    packTwoBitLevels(levels, output, base + 16);
  }
};

/** Sign-extends the low 8 bits, as a C int8_t assignment does. */
function toInt8(value: number): number {
  return (value << 24) >> 24;
}

export const encodeQ3_K: BlockEncoder = (values, blockCount, output, offset) => {
  const levels = new Uint8Array(QK_K);
  const work = new Int8Array(16);
  const scales = new Float32Array(16);
  for (let block = 0; block < blockCount; block++) {
    const x = block * QK_K;
    const base = offset + block * 110;
    const packed = base + 96;
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < 16; j++) {
      const scale = makeQ3Quants(16, 4, values, x + 16 * j, levels, 16 * j, work);
      scales[j] = scale;
      if (Math.abs(scale) > amax) {
        amax = Math.abs(scale);
        maxScale = scale;
      }
    }
    output.fill(0, packed, packed + 12);
    let d = 0;
    if (maxScale) {
      const iscale = fround(-32 / maxScale);
      for (let j = 0; j < 16; j++) {
        let l = toInt8(nearestInt(fround(iscale * scales[j]!)));
        l = clamp(l, -32, 31) + 32;
        if (j < 8) output[packed + j] = l & 0x0f;
        else output[packed + j - 8] = output[packed + j - 8]! | ((l & 0x0f) << 4);
        l >>= 4;
        output[packed + 8 + (j % 4)] = output[packed + 8 + (j % 4)]! | (l << (2 * (j >>> 2)));
      }
      d = writeHalf(output, base + 108, fround(1 / iscale));
    } else {
      d = writeHalf(output, base + 108, 0);
    }
    for (let j = 0; j < 16; j++) {
      const low = j < 8 ? output[packed + j]! & 0x0f : output[packed + j - 8]! >>> 4;
      const high = (output[packed + 8 + (j % 4)]! >>> (2 * (j >>> 2))) & 3;
      const scale = fround(d * ((low | (high << 4)) - 32));
      if (!scale) continue;
      for (let i = 0; i < 16; i++) {
        const l = nearestInt(fround(values[x + 16 * j + i]! / scale));
        levels[16 * j + i] = clamp(l, -4, 3) + 4;
      }
    }
    // Third bits: value j's goes to hmask[j % 32], bit j / 32.
    output.fill(0, base, base + 32);
    for (let j = 0; j < QK_K; j++) {
      if (levels[j]! > 3) {
        output[base + (j % 32)] = output[base + (j % 32)]! | (1 << (j >>> 5));
        levels[j] = levels[j]! - 4;
      }
    }
    packTwoBitLevels(levels, output, base + 32);
  }
};

/**
 * The part Q4_K and Q5_K share: eight sub-blocks of 32 with affine levels 0..nmax, their scales
 * and mins quantized to 6 bits against d and dmin (bytes 0-15 of the block), and the levels
 * refit to the stored scales. Leaves the levels of the block in `levels`.
 */
function quantizeAffineSuperBlock(
  values: Float32Array,
  x: number,
  output: Uint8Array,
  base: number,
  scratch: AffineScratch,
): void {
  const { levels, trial, weights, scales, mins, search } = scratch;
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const first = x + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) {
      const value = values[first + l]!;
      sumX2 = fround(sumX2 + fround(value * value));
    }
    const averageMagnitude = fround(Math.sqrt(fround(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = averageMagnitude + Math.abs(values[first + l]!);
    const [scale, min] = makeQkx2Quants(32, values, first, weights, levels, 32 * j, trial, search);
    scales[j] = scale;
    mins[j] = min;
    if (scale > maxScale) maxScale = scale;
    if (min > maxMin) maxMin = min;
  }
  const inverseScale = maxScale > 0 ? fround(63 / maxScale) : 0;
  const inverseMin = maxMin > 0 ? fround(63 / maxMin) : 0;
  const packed = base + 4;
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(fround(inverseScale * scales[j]!)) & 0xff);
    const lm = Math.min(63, nearestInt(fround(inverseMin * mins[j]!)) & 0xff);
    if (j < 4) {
      output[packed + j] = ls;
      output[packed + j + 4] = lm;
    } else {
      output[packed + j + 4] = (ls & 0x0f) | ((lm & 0x0f) << 4);
      output[packed + j - 4] = output[packed + j - 4]! | ((ls >>> 4) << 6);
      output[packed + j] = output[packed + j]! | ((lm >>> 4) << 6);
    }
  }
  const d = writeHalf(output, base, fround(maxScale / 63));
  const dmin = writeHalf(output, base + 2, fround(maxMin / 63));
  const nmax = search.nmax;
  for (let j = 0; j < 8; j++) {
    // get_scale_min_k4
    const scaleBits =
      j < 4
        ? output[packed + j]! & 63
        : (output[packed + j + 4]! & 0x0f) | ((output[packed + j - 4]! >>> 6) << 4);
    const minBits =
      j < 4
        ? output[packed + j + 4]! & 63
        : (output[packed + j + 4]! >>> 4) | ((output[packed + j]! >>> 6) << 4);
    const scale = fround(d * scaleBits);
    if (!scale) continue;
    const shift = fround(dmin * minBits);
    for (let i = 0; i < 32; i++) {
      const l = nearestInt(fround(fround(values[x + 32 * j + i]! + shift) / scale));
      levels[32 * j + i] = clamp(l, 0, nmax);
    }
  }
}

interface AffineScratch {
  levels: Uint8Array;
  trial: Uint8Array;
  weights: Float32Array;
  scales: Float32Array;
  mins: Float32Array;
  search: { nmax: number; rmin: number; rdelta: number; steps: number; absoluteError: false };
}

function affineScratch(nmax: number, rmin: number, steps: number): AffineScratch {
  return {
    levels: new Uint8Array(QK_K),
    trial: new Uint8Array(32),
    weights: new Float32Array(32),
    scales: new Float32Array(8),
    mins: new Float32Array(8),
    search: { nmax, rmin, rdelta: fround(0.1), steps, absoluteError: false },
  };
}

export const encodeQ4_K: BlockEncoder = (values, blockCount, output, offset) => {
  const scratch = affineScratch(15, -1, 20);
  const { levels } = scratch;
  for (let block = 0; block < blockCount; block++) {
    const base = offset + block * 144;
    quantizeAffineSuperBlock(values, block * QK_K, output, base, scratch);
    for (let j = 0, q = base + 16; j < QK_K; j += 64, q += 32) {
      for (let l = 0; l < 32; l++) output[q + l] = levels[j + l]! | (levels[j + l + 32]! << 4);
    }
  }
};

export const encodeQ5_K: BlockEncoder = (values, blockCount, output, offset) => {
  const scratch = affineScratch(31, -0.5, 15);
  const { levels } = scratch;
  for (let block = 0; block < blockCount; block++) {
    const base = offset + block * 176;
    quantizeAffineSuperBlock(values, block * QK_K, output, base, scratch);
    const qh = base + 16;
    output.fill(0, qh, qh + 32);
    let ql = base + 48;
    for (let n = 0, m1 = 1, m2 = 2; n < QK_K; n += 64, m1 <<= 2, m2 <<= 2, ql += 32) {
      for (let j = 0; j < 32; j++) {
        let l1 = levels[n + j]!;
        if (l1 > 15) {
          l1 -= 16;
          output[qh + j] = output[qh + j]! | m1;
        }
        let l2 = levels[n + j + 32]!;
        if (l2 > 15) {
          l2 -= 16;
          output[qh + j] = output[qh + j]! | m2;
        }
        output[ql + j] = l1 | (l2 << 4);
      }
    }
  }
};

export const encodeQ6_K: BlockEncoder = (values, blockCount, output, offset) => {
  const levels = new Uint8Array(QK_K);
  const work = new Int8Array(16);
  const scales = new Float32Array(16);
  for (let block = 0; block < blockCount; block++) {
    const x = block * QK_K;
    const base = offset + block * 210;
    let maxScale = 0;
    let maxAbsoluteScale = 0;
    for (let j = 0; j < 16; j++) {
      const scale = makeQxQuants(16, 32, values, x + 16 * j, levels, 16 * j, work);
      scales[j] = scale;
      if (Math.abs(scale) > maxAbsoluteScale) {
        maxAbsoluteScale = Math.abs(scale);
        maxScale = scale;
      }
    }
    if (maxAbsoluteScale < GROUP_MAX_EPS) {
      output.fill(0, base, base + 210);
      continue;
    }
    const iscale = fround(-128 / maxScale);
    const d = writeHalf(output, base + 208, fround(1 / iscale));
    const packedScales = base + 192;
    for (let j = 0; j < 16; j++) {
      output[packedScales + j] = Math.min(127, nearestInt(fround(iscale * scales[j]!))) & 0xff;
    }
    for (let j = 0; j < 16; j++) {
      const scale = fround(d * toInt8(output[packedScales + j]!));
      if (!scale) continue;
      for (let i = 0; i < 16; i++) {
        const l = nearestInt(fround(values[x + 16 * j + i]! / scale));
        levels[16 * j + i] = clamp(l, -32, 31) + 32;
      }
    }
    for (let j = 0, ql = base, qh = base + 128; j < QK_K; j += 128, ql += 64, qh += 32) {
      for (let l = 0; l < 32; l++) {
        const l0 = levels[j + l]!;
        const l32 = levels[j + l + 32]!;
        const l64 = levels[j + l + 64]!;
        const l96 = levels[j + l + 96]!;
        output[ql + l] = (l0 & 0x0f) | ((l64 & 0x0f) << 4);
        output[ql + l + 32] = (l32 & 0x0f) | ((l96 & 0x0f) << 4);
        output[qh + l] = (l0 >>> 4) | ((l32 >>> 4) << 2) | ((l64 >>> 4) << 4) | ((l96 >>> 4) << 6);
      }
    }
  }
};
