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

#[inline(always)]
unsafe fn f16x4_to_f32x4(pointer: *const u16) -> v128 {
    let half = u32x4_load_extend_u16x4(pointer);
    let sign = i32x4_shl(v128_and(half, u32x4_splat(0x8000)), 16);
    let shifted = i32x4_shl(v128_and(half, u32x4_splat(0x7fff)), 13);
    let magnitude = f32x4_mul(shifted, f32x4_splat(f32::from_bits(0x7780_0000)));
    v128_or(magnitude, sign)
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
/// one float scale per block of 32 in `d`.
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
        for index in 0..4 {
            v128_store(out.add(index), i16x8_narrow_i32x4(lanes[2 * index], lanes[2 * index + 1]));
        }
        *d.add(block) = f16_to_f32(f32_to_f16(scale));
    }
}

/// The 32 products of one weight block with one widened input block (four i16x8), as
/// four i32 partial sums. q8_0: 32 int8 after the f16 scale. q4_0: 16 bytes after the
/// scale, low nibbles are values 0..15 and high nibbles 16..31, each minus 8 (in int8,
/// where engines have cheap signed widening; unsigned widening measured slower).
#[inline(always)]
unsafe fn block_dot<const Q4: bool>(block: *const u8, x: *const v128) -> v128 {
    let (first, second) = if Q4 {
        let packed = v128_load(block.add(2) as *const v128);
        let mask = u8x16_splat(0x0f);
        let eight = i8x16_splat(8);
        // A 16-bit shift then a mask: engines lower 8-bit shifts to several instructions.
        let low = i8x16_sub(v128_and(packed, mask), eight);
        let high = i8x16_sub(v128_and(u16x8_shr(packed, 4), mask), eight);
        (
            i32x4_add(
                i32x4_dot_i16x8(i16x8_extend_low_i8x16(low), v128_load(x)),
                i32x4_dot_i16x8(i16x8_extend_high_i8x16(low), v128_load(x.add(1))),
            ),
            i32x4_add(
                i32x4_dot_i16x8(i16x8_extend_low_i8x16(high), v128_load(x.add(2))),
                i32x4_dot_i16x8(i16x8_extend_high_i8x16(high), v128_load(x.add(3))),
            ),
        )
    } else {
        let a = v128_load(block.add(2) as *const v128);
        let b = v128_load(block.add(18) as *const v128);
        (
            i32x4_add(
                i32x4_dot_i16x8(i16x8_extend_low_i8x16(a), v128_load(x)),
                i32x4_dot_i16x8(i16x8_extend_high_i8x16(a), v128_load(x.add(1))),
            ),
            i32x4_add(
                i32x4_dot_i16x8(i16x8_extend_low_i8x16(b), v128_load(x.add(2))),
                i32x4_dot_i16x8(i16x8_extend_high_i8x16(b), v128_load(x.add(3))),
            ),
        )
    };
    i32x4_add(first, second)
}

/// y[j][row] = dot(w[row], x[j]) over ggml q8_0 or q4_0 rows and inputs from
/// quantize_q8_0: an integer dot per block, scaled once per block. The arithmetic, which
/// the TypeScript kernels repeat bit for bit: per block, the float32 scale
/// `f16(weight scale) * input scale` and four exact integer partial dots (lane k over the
/// values i with (i >> 1) & 3 == k, as i32x4_dot_i16x8 pairs them); four float32 sums,
/// sum k adding `f32(partial k) * scale` block after block; the result
/// `((sum0 + sum1) + sum2) + sum3`. One row at a time, so
/// the weights stream through memory in order: interleaving rows measured slower once the
/// matrix is larger than the caches, which is the decode case.
#[inline(always)]
unsafe fn quantized_matmul<const Q4: bool>(w: *const u8, q: *const i16, d: *const f32, y: *mut f32, rows: usize, cols: usize, n: usize) {
    let block_bytes = if Q4 { Q4_BLOCK_BYTES } else { Q8_BLOCK_BYTES };
    let blocks = cols / QK;
    for row in 0..rows {
        let weights = w.add(row * blocks * block_bytes);
        for j in 0..n {
            let inputs = q.add(j * cols);
            let scales = d.add(j * blocks);
            let mut acc = f32x4_splat(0.0);
            for block in 0..blocks {
                let pointer = weights.add(block * block_bytes);
                let scale = f16_to_f32((pointer as *const u16).read_unaligned()) * *scales.add(block);
                let sum = block_dot::<Q4>(pointer, inputs.add(block * QK) as *const v128);
                acc = f32x4_add(acc, f32x4_mul(f32x4_convert_i32x4(sum), f32x4_splat(scale)));
            }
            *y.add(j * rows + row) = hsum(acc);
        }
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
