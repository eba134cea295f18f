//! The hot kernels of a Llama decoder for wasm32 with SIMD128: batched matrix-vector
//! products over f32, f16, q8_0 and q4_0 weights (ggml block layouts), activation
//! quantization to q8_0, RMSNorm, RoPE, softmax and SiLU. No std, no allocator: the
//! host owns linear memory and passes byte offsets; every buffer is laid out by the
//! caller. Unaligned loads are fine in wasm, so ggml's 34- and 18-byte blocks are read
//! in place.
#![no_std]

use core::arch::wasm32::*;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    unreachable()
}

const QK: usize = 32;
const Q8_BLOCK_BYTES: usize = 34;
const Q4_BLOCK_BYTES: usize = 18;

#[inline(always)]
fn hsum(v: v128) -> f32 {
    f32x4_extract_lane::<0>(v)
        + f32x4_extract_lane::<1>(v)
        + f32x4_extract_lane::<2>(v)
        + f32x4_extract_lane::<3>(v)
}

#[inline(always)]
fn f16_to_f32(bits: u16) -> f32 {
    // Exact for normal and subnormal halves: shift into a float32's bits, then rescale
    // the exponent bias (2^112). Infinities and NaNs are not weights; they are not kept.
    let magnitude = f32::from_bits(((bits & 0x7fff) as u32) << 13) * f32::from_bits(0x7780_0000);
    f32::from_bits(magnitude.to_bits() | (((bits & 0x8000) as u32) << 16))
}

/// Four f16 bit patterns (one per i32 lane) as floats, exactly as f16_to_f32.
#[inline(always)]
fn f16_lanes_to_f32x4(half: v128) -> v128 {
    let sign = i32x4_shl(v128_and(half, u32x4_splat(0x8000)), 16);
    let shifted = i32x4_shl(v128_and(half, u32x4_splat(0x7fff)), 13);
    v128_or(f32x4_mul(shifted, f32x4_splat(f32::from_bits(0x7780_0000))), sign)
}

#[inline(always)]
unsafe fn f16x4_to_f32x4(pointer: *const u16) -> v128 {
    f16_lanes_to_f32x4(u32x4_load_extend_u16x4(pointer))
}

/// float32 -> float16 bits, round to nearest even (ggml's GGML_FP32_TO_FP16).
#[inline(always)]
fn f32_to_f16(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let magnitude = bits & 0x7fff_ffff;
    if magnitude >= 0x4780_0000 {
        // Overflow to infinity (or NaN stays NaN).
        return sign | if magnitude > 0x7f80_0000 { 0x7e00 } else { 0x7c00 };
    }
    if magnitude < 0x3880_0000 {
        // Subnormal half: add 0.5 so the float adder rounds the mantissa for us.
        let rounded = f32::from_bits(magnitude) + 0.5;
        return sign | ((rounded.to_bits() - 0x3f00_0000) as u16);
    }
    let odd = (magnitude >> 13) & 1;
    let adjusted = magnitude.wrapping_add(0xc800_0fff).wrapping_add(odd);
    sign | ((adjusted >> 13) as u16)
}

/// y[j][row] = dot(w[row], x[j]) for f32 weights `rows x cols` and `n` input vectors.
#[no_mangle]
pub unsafe extern "C" fn matmul_f32(w: *const f32, x: *const f32, y: *mut f32, rows: usize, cols: usize, n: usize) {
    let body = cols & !15;
    for row in 0..rows {
        let weights = w.add(row * cols);
        for j in 0..n {
            let input = x.add(j * cols);
            let mut a0 = f32x4_splat(0.0);
            let mut a1 = f32x4_splat(0.0);
            let mut a2 = f32x4_splat(0.0);
            let mut a3 = f32x4_splat(0.0);
            let mut column = 0;
            while column < body {
                let wp = weights.add(column) as *const v128;
                let xp = input.add(column) as *const v128;
                a0 = f32x4_add(a0, f32x4_mul(v128_load(wp), v128_load(xp)));
                a1 = f32x4_add(a1, f32x4_mul(v128_load(wp.add(1)), v128_load(xp.add(1))));
                a2 = f32x4_add(a2, f32x4_mul(v128_load(wp.add(2)), v128_load(xp.add(2))));
                a3 = f32x4_add(a3, f32x4_mul(v128_load(wp.add(3)), v128_load(xp.add(3))));
                column += 16;
            }
            let mut sum = hsum(f32x4_add(f32x4_add(a0, a1), f32x4_add(a2, a3)));
            while column < cols {
                sum += *weights.add(column) * *input.add(column);
                column += 1;
            }
            *y.add(j * rows + row) = sum;
        }
    }
}

/// Like matmul_f32 with IEEE half weights (converted in registers, never in memory).
#[no_mangle]
pub unsafe extern "C" fn matmul_f16(w: *const u16, x: *const f32, y: *mut f32, rows: usize, cols: usize, n: usize) {
    let body = cols & !7;
    for row in 0..rows {
        let weights = w.add(row * cols);
        for j in 0..n {
            let input = x.add(j * cols);
            let mut a0 = f32x4_splat(0.0);
            let mut a1 = f32x4_splat(0.0);
            let mut column = 0;
            while column < body {
                let xp = input.add(column) as *const v128;
                a0 = f32x4_add(a0, f32x4_mul(f16x4_to_f32x4(weights.add(column)), v128_load(xp)));
                a1 = f32x4_add(a1, f32x4_mul(f16x4_to_f32x4(weights.add(column + 4)), v128_load(xp.add(1))));
                column += 8;
            }
            let mut sum = hsum(f32x4_add(a0, a1));
            while column < cols {
                sum += f16_to_f32(*weights.add(column)) * *input.add(column);
                column += 1;
            }
            *y.add(j * rows + row) = sum;
        }
    }
}

/// Quantizes `n` vectors of `cols` floats the way ggml quantizes activations to q8_0
/// (scale rounded to f16, values rounded half away from zero, within -127..127), but
/// stores each value as an i16, widened once here instead of once per weight row, with
/// one float scale per block of 32 in `d`. Each half block of 16 is stored as its 8
/// even-indexed values then its 8 odd-indexed ones: read as i16 lanes, a weight vector's
/// even and odd bytes separate with one shift or mask each (no sign extension), and
/// the even/odd order pairs them with their inputs in `i32x4_dot_i16x8`.
#[no_mangle]
pub unsafe extern "C" fn quantize_q8_0(x: *const f32, q: *mut i16, d: *mut f32, cols: usize, n: usize) {
    let blocks = n * (cols / QK);
    let half = f32x4_splat(0.5);
    for block in 0..blocks {
        let values = x.add(block * QK) as *const v128;
        let mut amax = f32x4_splat(0.0);
        for index in 0..8 {
            amax = f32x4_max(amax, f32x4_abs(v128_load(values.add(index))));
        }
        let amax = f32x4_max(amax, i32x4_shuffle::<2, 3, 0, 1>(amax, amax));
        let amax = f32x4_max(amax, i32x4_shuffle::<1, 0, 3, 2>(amax, amax));
        let scale = f32x4_extract_lane::<0>(amax) / 127.0;
        let inverse = f32x4_splat(if scale != 0.0 { 1.0 / scale } else { 0.0 });
        let mut lanes = [i32x4_splat(0); 8];
        for index in 0..8 {
            let scaled = f32x4_mul(v128_load(values.add(index)), inverse);
            // roundf: truncate, then step away from zero when the dropped part is >= 0.5.
            let truncated = f32x4_trunc(scaled);
            let fraction = f32x4_abs(f32x4_sub(scaled, truncated));
            let step = v128_and(f32x4_ge(fraction, half), v128_or(f32x4_splat(1.0), v128_and(scaled, u32x4_splat(0x8000_0000))));
            lanes[index] = i32x4_trunc_sat_f32x4(f32x4_add(truncated, step));
        }
        let out = q.add(block * QK) as *mut v128;
        for half in 0..2 {
            let first = i16x8_narrow_i32x4(lanes[4 * half], lanes[4 * half + 1]);
            let second = i16x8_narrow_i32x4(lanes[4 * half + 2], lanes[4 * half + 3]);
            v128_store(out.add(2 * half), i16x8_shuffle::<0, 2, 4, 6, 8, 10, 12, 14>(first, second));
            v128_store(out.add(2 * half + 1), i16x8_shuffle::<1, 3, 5, 7, 9, 11, 13, 15>(first, second));
        }
        *d.add(block) = f16_to_f32(f32_to_f16(scale));
    }
}

/// Engines compile each `v128.const` in a loop body to a few instructions on every
/// iteration (they do not hoist them), and LLVM rematerializes constants at their uses.
/// A volatile read hides the value from LLVM, so it stays in a local (a register) that
/// the loop reuses.
#[inline(always)]
fn opaque(value: v128) -> v128 {
    unsafe { core::ptr::read_volatile(&value) }
}

/// The masks and factors of the quantized dot products, made once per call.
struct DotConstants {
    nibble_2m: v128,
    nibble_2m_16: v128,
    nibble_2m_1: v128,
    high_byte: v128,
    zero: v128,
    half_bits: v128,
    half_rebias: v128,
}

impl DotConstants {
    #[inline(always)]
    fn new() -> Self {
        DotConstants {
            nibble_2m: opaque(u16x8_splat(0x000f)),
            nibble_2m_16: opaque(u16x8_splat(0x00f0)),
            nibble_2m_1: opaque(u16x8_splat(0x0f00)),
            high_byte: opaque(u16x8_splat(0xff00)),
            zero: opaque(u32x4_splat(0)),
            half_bits: opaque(u32x4_splat(0x8fff_ffff)),
            half_rebias: opaque(f32x4_splat(f32::from_bits(0x7780_0000))),
        }
    }

    /// The four blocks' f16 scales as floats, exactly as f16_to_f32: each half goes to the
    /// top of an i32 lane (four lane loads); an arithmetic shift by 3 puts exponent and
    /// mantissa where a float32's are, the mask keeps the sign and clears its copies, and
    /// the product rebiases the exponent (and normalizes subnormal halves).
    #[inline(always)]
    unsafe fn row_scales(&self, p0: *const u8, p1: *const u8, p2: *const u8, p3: *const u8) -> v128 {
        let mut halves = self.zero;
        halves = v128_load16_lane::<1>(halves, p0 as *const u16);
        halves = v128_load16_lane::<3>(halves, p1 as *const u16);
        halves = v128_load16_lane::<5>(halves, p2 as *const u16);
        halves = v128_load16_lane::<7>(halves, p3 as *const u16);
        f32x4_mul(v128_and(i32x4_shr(halves, 3), self.half_bits), self.half_rebias)
    }
}

/// 256 times the dot of one weight block with one input block (even/odd order, see
/// quantize_q8_0), as four i32 partial sums. A weight vector read as i16 lanes holds
/// byte 2m in its low half and byte 2m+1 in its high half; a mask or shift moves each
/// into the high half, giving the signed byte times 256 with no widening. q8_0: 32 int8
/// after the f16 scale. q4_0: 16 bytes after the scale, low nibbles are values 0..15 and
/// high nibbles 16..31, here taken unsigned (0..15, scaled by 256, 1, 16 or 256 by where
/// the mask leaves them; the two scaled by 1 and 16 are shifted up after the products)
/// and offset by -8 later through the input block's sum.
#[inline(always)]
unsafe fn block_dot<const Q4: bool>(block: *const u8, x: *const v128, constants: &DotConstants) -> v128 {
    if Q4 {
        let packed = v128_load(block.add(2) as *const v128);
        let value_2m = v128_and(packed, constants.nibble_2m);
        let value_2m_16 = v128_and(packed, constants.nibble_2m_16);
        let value_2m_1 = v128_and(packed, constants.nibble_2m_1);
        let value_2m_17 = u16x8_shr(packed, 12);
        let unit = i32x4_add(i32x4_dot_i16x8(value_2m, v128_load(x)), i32x4_dot_i16x8(value_2m_17, v128_load(x.add(3))));
        let sixteen = i32x4_dot_i16x8(value_2m_16, v128_load(x.add(2)));
        i32x4_add(i32x4_add(i32x4_shl(unit, 8), i32x4_shl(sixteen, 4)), i32x4_dot_i16x8(value_2m_1, v128_load(x.add(1))))
    } else {
        let a = v128_load(block.add(2) as *const v128);
        let b = v128_load(block.add(18) as *const v128);
        let high = constants.high_byte;
        i32x4_add(
            i32x4_add(i32x4_dot_i16x8(i16x8_shl(a, 8), v128_load(x)), i32x4_dot_i16x8(v128_and(a, high), v128_load(x.add(1)))),
            i32x4_add(i32x4_dot_i16x8(i16x8_shl(b, 8), v128_load(x.add(2))), i32x4_dot_i16x8(v128_and(b, high), v128_load(x.add(3)))),
        )
    }
}

/// The sum of one input block's 32 values, in every lane.
#[inline(always)]
unsafe fn block_sum(x: *const v128) -> v128 {
    let pairs = i16x8_add(i16x8_add(v128_load(x), v128_load(x.add(1))), i16x8_add(v128_load(x.add(2)), v128_load(x.add(3))));
    let sums = i32x4_extadd_pairwise_i16x8(pairs);
    let sums = i32x4_add(sums, i32x4_shuffle::<2, 3, 0, 1>(sums, sums));
    i32x4_add(sums, i32x4_shuffle::<1, 0, 3, 2>(sums, sums))
}

/// Four i32x4 partial sums (one per row) to one i32x4 of the four rows' totals, with
/// the unpack shuffles engines lower to single instructions. Integer adds are exact, so
/// the order does not change the result.
#[inline(always)]
fn reduce_rows(s0: v128, s1: v128, s2: v128, s3: v128) -> v128 {
    let t0 = i32x4_add(i32x4_shuffle::<0, 4, 1, 5>(s0, s1), i32x4_shuffle::<2, 6, 3, 7>(s0, s1));
    let t1 = i32x4_add(i32x4_shuffle::<0, 4, 1, 5>(s2, s3), i32x4_shuffle::<2, 6, 3, 7>(s2, s3));
    i32x4_add(i32x4_shuffle::<0, 1, 4, 5>(t0, t1), i32x4_shuffle::<2, 3, 6, 7>(t0, t1))
}

/// y[j][row] = dot(w[row], x[j]) over ggml q8_0 or q4_0 rows and inputs from
/// quantize_q8_0. The arithmetic, which the TypeScript kernels repeat exactly: per block,
/// the exact integer dot `s` and the float32 scale `f16(weight scale) * input scale`;
/// per row, a float32 sum over blocks in order of `f32(s) * scale`. Rows go four at a
/// time (the last group repeats its last row): each input block is loaded once for four
/// rows, the four integer dots reduce to one vector, and the scale and the sum run once
/// for four rows, one row per lane.
#[inline(always)]
unsafe fn quantized_matmul<const Q4: bool>(w: *const u8, q: *const i16, d: *const f32, y: *mut f32, rows: usize, cols: usize, n: usize) {
    let block_bytes = if Q4 { Q4_BLOCK_BYTES } else { Q8_BLOCK_BYTES };
    let blocks = cols / QK;
    let row_bytes = blocks * block_bytes;
    let constants = DotConstants::new();
    let mut row = 0;
    while row < rows {
        let count = if rows - row < 4 { rows - row } else { 4 };
        let w0 = w.add(row * row_bytes);
        let w1 = w.add((row + if count > 1 { 1 } else { 0 }) * row_bytes);
        let w2 = w.add((row + if count > 2 { 2 } else { count - 1 }) * row_bytes);
        let w3 = w.add((row + count - 1) * row_bytes);
        for j in 0..n {
            let inputs = q.add(j * cols);
            let scales = d.add(j * blocks);
            let mut acc = f32x4_splat(0.0);
            for block in 0..blocks {
                let offset = block * block_bytes;
                let (p0, p1, p2, p3) = (w0.add(offset), w1.add(offset), w2.add(offset), w3.add(offset));
                let x = inputs.add(block * QK) as *const v128;
                let scaled = reduce_rows(block_dot::<Q4>(p0, x, &constants), block_dot::<Q4>(p1, x, &constants), block_dot::<Q4>(p2, x, &constants), block_dot::<Q4>(p3, x, &constants));
                // Exact: every partial is a multiple of 256.
                let mut sums = i32x4_shr(scaled, 8);
                if Q4 {
                    sums = i32x4_sub(sums, i32x4_shl(block_sum(x), 3));
                }
                let scale = f32x4_mul(constants.row_scales(p0, p1, p2, p3), f32x4_splat(*scales.add(block)));
                acc = f32x4_add(acc, f32x4_mul(f32x4_convert_i32x4(sums), scale));
            }
            let out = y.add(j * rows + row);
            if count == 4 {
                v128_store(out as *mut v128, acc);
            } else {
                *out = f32x4_extract_lane::<0>(acc);
                if count > 1 {
                    *out.add(1) = f32x4_extract_lane::<1>(acc);
                }
                if count > 2 {
                    *out.add(2) = f32x4_extract_lane::<2>(acc);
                }
            }
        }
        row += count;
    }
}

/// q8_0 weights (ggml blocks of an f16 scale and 32 int8).
#[no_mangle]
pub unsafe extern "C" fn matmul_q8_0(w: *const u8, q: *const i16, d: *const f32, y: *mut f32, rows: usize, cols: usize, n: usize) {
    quantized_matmul::<false>(w, q, d, y, rows, cols, n)
}

/// q4_0 weights (ggml blocks of an f16 scale and 16 bytes of nibbles).
#[no_mangle]
pub unsafe extern "C" fn matmul_q4_0(w: *const u8, q: *const i16, d: *const f32, y: *mut f32, rows: usize, cols: usize, n: usize) {
    quantized_matmul::<true>(w, q, d, y, rows, cols, n)
}

/// out[j] = x[j] / sqrt(mean(x[j]^2) + eps) * weight, for `n` vectors of `size`; the sum
/// of squares in float64 as ggml does.
#[no_mangle]
pub unsafe extern "C" fn rms_norm(x: *const f32, weight: *const f32, out: *mut f32, size: usize, n: usize, eps: f32) {
    let body = size & !3;
    for j in 0..n {
        let input = x.add(j * size);
        let output = out.add(j * size);
        let mut acc = f64x2_splat(0.0);
        let mut index = 0;
        while index < body {
            let value = v128_load(input.add(index) as *const v128);
            let squared = f32x4_mul(value, value);
            acc = f64x2_add(acc, f64x2_promote_low_f32x4(squared));
            acc = f64x2_add(acc, f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 0, 1>(squared, squared)));
            index += 4;
        }
        let mut sum = f64x2_extract_lane::<0>(acc) + f64x2_extract_lane::<1>(acc);
        while index < size {
            let value = *input.add(index);
            sum += (value * value) as f64;
            index += 1;
        }
        let mean = (sum / size as f64) as f32;
        let scale = 1.0 / f32x4_extract_lane::<0>(f32x4_sqrt(f32x4_splat(mean + eps)));
        let scale_vector = f32x4_splat(scale);
        index = 0;
        while index < body {
            let value = v128_load(input.add(index) as *const v128);
            let gain = v128_load(weight.add(index) as *const v128);
            v128_store(output.add(index) as *mut v128, f32x4_mul(f32x4_mul(value, scale_vector), gain));
            index += 4;
        }
        while index < size {
            *output.add(index) = *input.add(index) * scale * *weight.add(index);
            index += 1;
        }
    }
}

/// Rotates `heads` vectors of `dim` in place by a table of cos (first dim/2 floats) and
/// sin (next dim/2) for one position. `neox` != 0: pairs are (i, i + dim/2), as Hugging
/// Face and llama.cpp's NEOX mode; otherwise adjacent pairs (2i, 2i + 1).
#[no_mangle]
pub unsafe extern "C" fn rope(x: *mut f32, table: *const f32, heads: usize, dim: usize, neox: u32) {
    let half = dim / 2;
    let cos = table;
    let sin = table.add(half);
    for head in 0..heads {
        let base = x.add(head * dim);
        if neox != 0 {
            let body = half & !3;
            let mut index = 0;
            while index < body {
                let first = v128_load(base.add(index) as *const v128);
                let second = v128_load(base.add(index + half) as *const v128);
                let c = v128_load(cos.add(index) as *const v128);
                let s = v128_load(sin.add(index) as *const v128);
                v128_store(base.add(index) as *mut v128, f32x4_sub(f32x4_mul(first, c), f32x4_mul(second, s)));
                v128_store(base.add(index + half) as *mut v128, f32x4_add(f32x4_mul(second, c), f32x4_mul(first, s)));
                index += 4;
            }
            while index < half {
                let first = *base.add(index);
                let second = *base.add(index + half);
                *base.add(index) = first * *cos.add(index) - second * *sin.add(index);
                *base.add(index + half) = second * *cos.add(index) + first * *sin.add(index);
                index += 1;
            }
        } else {
            for index in 0..half {
                let first = *base.add(2 * index);
                let second = *base.add(2 * index + 1);
                *base.add(2 * index) = first * *cos.add(index) - second * *sin.add(index);
                *base.add(2 * index + 1) = second * *cos.add(index) + first * *sin.add(index);
            }
        }
    }
}

/// e^x for four lanes: Cephes' expf (range reduction by ln 2, degree-6 polynomial),
/// within 2 ulp of the correctly rounded value; 0 below -87.3. 2^n comes from the bits
/// of the rounding sum and pmin/pmax clamp, because engines expand the NaN-aware min/max
/// and the saturating float-to-int conversion into long instruction sequences.
#[inline(always)]
fn exp_f32x4(x: v128) -> v128 {
    let clamped = f32x4_pmin(f32x4_pmax(x, f32x4_splat(-87.3)), f32x4_splat(88.7));
    let shifter = f32x4_splat(12_582_912.0);
    let rounded = f32x4_add(f32x4_mul(clamped, f32x4_splat(core::f32::consts::LOG2_E)), shifter);
    let n = f32x4_sub(rounded, shifter);
    let r = f32x4_sub(f32x4_sub(clamped, f32x4_mul(n, f32x4_splat(0.693_359_4))), f32x4_mul(n, f32x4_splat(-2.121_944_4e-4)));
    let mut p = f32x4_splat(1.987_569_1e-4);
    p = f32x4_add(f32x4_mul(p, r), f32x4_splat(1.398_199_9e-3));
    p = f32x4_add(f32x4_mul(p, r), f32x4_splat(8.333_452e-3));
    p = f32x4_add(f32x4_mul(p, r), f32x4_splat(4.166_579_6e-2));
    p = f32x4_add(f32x4_mul(p, r), f32x4_splat(1.666_666_5e-1));
    p = f32x4_add(f32x4_mul(p, r), f32x4_splat(5.000_000_1e-1));
    let y = f32x4_add(f32x4_add(f32x4_mul(f32x4_mul(p, r), r), r), f32x4_splat(1.0));
    // rounded's low mantissa bits hold n (|n| < 2^22): n + 127 shifted into the exponent.
    let scale = i32x4_shl(i32x4_add(i32x4_sub(rounded, shifter), i32x4_splat(127)), 23);
    let result = f32x4_mul(y, scale);
    v128_bitselect(f32x4_splat(0.0), result, f32x4_lt(x, f32x4_splat(-87.3)))
}

#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    f32x4_extract_lane::<0>(exp_f32x4(f32x4_splat(x)))
}

/// In-place softmax of `size` floats.
#[no_mangle]
pub unsafe extern "C" fn softmax(x: *mut f32, size: usize) {
    if size == 0 {
        return;
    }
    let body = size & !3;
    let mut maxima = f32x4_splat(*x);
    let mut index = 0;
    while index < body {
        maxima = f32x4_max(maxima, v128_load(x.add(index) as *const v128));
        index += 4;
    }
    let mut max = f32x4_extract_lane::<0>(maxima);
    for lane in [f32x4_extract_lane::<1>(maxima), f32x4_extract_lane::<2>(maxima), f32x4_extract_lane::<3>(maxima)] {
        if lane > max {
            max = lane;
        }
    }
    while index < size {
        let value = *x.add(index);
        if value > max {
            max = value;
        }
        index += 1;
    }
    let max_vector = f32x4_splat(max);
    let mut acc = f32x4_splat(0.0);
    index = 0;
    while index < body {
        let pointer = x.add(index) as *mut v128;
        let value = exp_f32x4(f32x4_sub(v128_load(pointer), max_vector));
        v128_store(pointer, value);
        acc = f32x4_add(acc, value);
        index += 4;
    }
    let mut sum = hsum(acc);
    while index < size {
        let value = exp_f32(*x.add(index) - max);
        *x.add(index) = value;
        sum += value;
        index += 1;
    }
    let inverse = f32x4_splat(1.0 / sum);
    index = 0;
    while index < body {
        let pointer = x.add(index) as *mut v128;
        v128_store(pointer, f32x4_mul(v128_load(pointer), inverse));
        index += 4;
    }
    let scalar = 1.0 / sum;
    while index < size {
        *x.add(index) *= scalar;
        index += 1;
    }
}

/// out = silu(gate) * up = gate / (1 + e^-gate) * up (SwiGLU), `size` floats.
#[no_mangle]
pub unsafe extern "C" fn silu_mul(gate: *const f32, up: *const f32, out: *mut f32, size: usize) {
    let body = size & !3;
    let one = f32x4_splat(1.0);
    let mut index = 0;
    while index < body {
        let g = v128_load(gate.add(index) as *const v128);
        let u = v128_load(up.add(index) as *const v128);
        let sigmoid = f32x4_div(one, f32x4_add(one, exp_f32x4(f32x4_neg(g))));
        v128_store(out.add(index) as *mut v128, f32x4_mul(f32x4_mul(g, sigmoid), u));
        index += 4;
    }
    while index < size {
        let g = *gate.add(index);
        *out.add(index) = g / (1.0 + exp_f32(-g)) * *up.add(index);
        index += 1;
    }
}

/// out[c] = sum over r of weights[r] * v[r][c]: attention's weighted sum of values
/// (`rows` positions of `cols` floats).
#[no_mangle]
pub unsafe extern "C" fn weighted_sum(v: *const f32, weights: *const f32, out: *mut f32, rows: usize, cols: usize) {
    let body = cols & !3;
    let mut index = 0;
    while index < cols {
        *out.add(index) = 0.0;
        index += 1;
    }
    for row in 0..rows {
        let weight = *weights.add(row);
        let weight_vector = f32x4_splat(weight);
        let values = v.add(row * cols);
        index = 0;
        while index < body {
            let pointer = out.add(index) as *mut v128;
            v128_store(pointer, f32x4_add(v128_load(pointer), f32x4_mul(v128_load(values.add(index) as *const v128), weight_vector)));
            index += 4;
        }
        while index < cols {
            *out.add(index) += weight * *values.add(index);
            index += 1;
        }
    }
}
