/**
 * The scale searches behind ggml's K-quant reference quantizers (`make_qx_quants`,
 * `make_q3_quants` and `make_qkx2_quants` in ggml-quants.c). Each picks the scale (and, for the
 * affine types, the minimum) of one sub-block and its integer levels `L`. Every `float` operation
 * of the C code is rounded to float32 (`Math.fround`) in the same order, and no product is fused
 * with a sum (ggml's reference builds contract none on targets without FMA), so the levels,
 * scales and hence the bytes written equal the reference's.
 */

const fround = Math.fround;
/** ggml's GROUP_MAX_EPS: a sub-block whose largest magnitude is below this is all zero. */
const GROUP_MAX_EPS = fround(1e-15);
const ONE_TENTH = fround(0.1);
/** 1.5 * 2^23: adding it to a float32 moves its integer part into the mantissa. */
const ROUNDING_MAGIC = 12582912;

/**
 * ggml's `nearest_int`: rounds a float32 to the nearest integer, halves to even (the float32
 * addition of 1.5 * 2^23 does the rounding). Exact for |value| <= 4194303, as in C.
 */
export function nearestInt(value: number): number {
  return fround(value + ROUNDING_MAGIC) - ROUNDING_MAGIC;
}

/** MAX(low, MIN(high, value)) for the integer levels (never NaN). */
export function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

/** The value with the largest magnitude (first one wins ties) and that magnitude. */
function signedMax(x: Float32Array, first: number, n: number): [number, number] {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const value = x[first + i]!;
    const absolute = Math.abs(value);
    if (absolute > amax) {
      amax = absolute;
      max = value;
    }
  }
  return [max, amax];
}

/**
 * The value with the largest magnitude, or undefined (and zero levels) for a sub-block whose
 * largest magnitude is below GROUP_MAX_EPS.
 */
function signedMaxOrZeroLevels(
  x: Float32Array,
  first: number,
  n: number,
  levels: Uint8Array,
  levelsFirst: number,
): number | undefined {
  const [max, amax] = signedMax(x, first, n);
  if (amax >= GROUP_MAX_EPS) return max;
  levels.fill(0, levelsFirst, levelsFirst + n);
  return undefined;
}

/**
 * The x^2-weighted fit of symmetric levels round(iscale * x) in -nmax..nmax-1 both searches
 * start from: returns [sum w*x*l, sum w*l*l] and writes the levels to `signedLevels` if given.
 */
function symmetricFit(
  x: Float32Array,
  first: number,
  n: number,
  nmax: number,
  iscale: number,
  signedLevels: Int8Array | undefined,
): [number, number] {
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const value = x[first + i]!;
    const l = clamp(nearestInt(fround(iscale * value)), -nmax, nmax - 1);
    if (signedLevels) signedLevels[i] = l;
    const w = fround(value * value);
    sumlx = fround(sumlx + fround(fround(w * value) * l));
    suml2 = fround(suml2 + fround(fround(w * l) * l));
  }
  return [sumlx, suml2];
}

function storeLevels(
  signedLevels: Int8Array,
  nmax: number,
  levels: Uint8Array,
  first: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) levels[first + i] = signedLevels[i]! + nmax;
}

/**
 * `make_qx_quants(n, nmax, x, L, rmse_type = 1, NULL)`: symmetric levels in 0..2*nmax-1 (stored
 * as level + nmax) weighted by x^2, trying 18 scales around nmax / max. Returns the scale.
 */
export function makeQxQuants(
  n: number,
  nmax: number,
  x: Float32Array,
  first: number,
  levels: Uint8Array,
  levelsFirst: number,
  work: Int8Array,
): number {
  const max = signedMaxOrZeroLevels(x, first, n, levels, levelsFirst);
  if (max === undefined) return 0;
  let [sumlx, suml2] = symmetricFit(x, first, n, nmax, fround(-nmax / max), work);
  storeLevels(work, nmax, levels, levelsFirst, n);
  let scale = suml2 ? fround(sumlx / suml2) : 0;
  let best = fround(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    const iscale = fround(-fround(nmax + fround(ONE_TENTH * is)) / max);
    [sumlx, suml2] = symmetricFit(x, first, n, nmax, iscale, undefined);
    if (suml2 > 0 && fround(sumlx * sumlx) > fround(best * suml2)) {
      symmetricFit(x, first, n, nmax, iscale, work);
      storeLevels(work, nmax, levels, levelsFirst, n);
      scale = fround(sumlx / suml2);
      best = fround(scale * sumlx);
    }
  }
  return scale;
}

/**
 * `make_q3_quants(n, nmax, x, L, do_rmse = true)`: symmetric levels, then up to five passes that
 * move single levels while the x^2-weighted fit improves. Levels are written as level + nmax
 * (0 for an all-zero sub-block). Returns the scale.
 */
export function makeQ3Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  first: number,
  levels: Uint8Array,
  levelsFirst: number,
  work: Int8Array,
): number {
  const max = signedMaxOrZeroLevels(x, first, n, levels, levelsFirst);
  if (max === undefined) return 0;
  let [sumlx, suml2] = symmetricFit(x, first, n, nmax, fround(-nmax / max), work);
  for (let attempt = 0; attempt < 5; attempt++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const value = x[first + i]!;
      const w = fround(value * value);
      const current = work[i]!;
      let slx = fround(sumlx - fround(fround(w * value) * current));
      if (slx > 0) {
        let sl2 = fround(suml2 - fround(fround(w * current) * current));
        const next = clamp(nearestInt(fround(fround(value * sl2) / slx)), -nmax, nmax - 1);
        if (next !== current) {
          slx = fround(slx + fround(fround(w * value) * next));
          sl2 = fround(sl2 + fround(fround(w * next) * next));
          if (sl2 > 0 && fround(fround(slx * slx) * suml2) > fround(fround(sumlx * sumlx) * sl2)) {
            work[i] = next;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (!changed) break;
  }
  storeLevels(work, nmax, levels, levelsFirst, n);
  return suml2 > 0 ? fround(sumlx / suml2) : 0;
}

/** Options of one `make_qkx2_quants` call, as each K-quant type passes them. */
export interface Qkx2Options {
  nmax: number;
  rmin: number;
  rdelta: number;
  steps: number;
  /** Weigh absolute errors (Q2_K) instead of squared ones. */
  absoluteError: boolean;
}

/**
 * `make_qkx2_quants`: affine levels 0..nmax (value ~ scale * L - min) with a weighted
 * least-squares fit of scale and min for each of `steps + 1` trial scales, keeping the one with
 * the least weighted error. Returns [scale, min] (min >= 0, subtracted when decoding).
 */
export function makeQkx2Quants(
  n: number,
  x: Float32Array,
  first: number,
  weights: Float32Array,
  levels: Uint8Array,
  levelsFirst: number,
  trial: Uint8Array,
  options: Qkx2Options,
): [number, number] {
  const { nmax, rmin, rdelta, steps, absoluteError } = options;
  let min = x[first]!;
  let max = min;
  let sumW = weights[0]!;
  let sumX = fround(sumW * min);
  for (let i = 1; i < n; i++) {
    const value = x[first + i]!;
    if (value < min) min = value;
    if (value > max) max = value;
    const w = weights[i]!;
    sumW = fround(sumW + w);
    sumX = fround(sumX + fround(w * value));
  }
  if (min > 0) min = 0;
  if (max === min) {
    levels.fill(0, levelsFirst, levelsFirst + n);
    return [0, -min];
  }
  let iscale = fround(nmax / fround(max - min));
  let scale = fround(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const value = x[first + i]!;
    const l = clamp(nearestInt(fround(iscale * fround(value - min))), 0, nmax);
    levels[levelsFirst + i] = l;
    let diff = fround(fround(fround(scale * l) + min) - value);
    diff = absoluteError ? Math.abs(diff) : fround(diff * diff);
    bestError = fround(bestError + fround(weights[i]! * diff));
  }
  if (steps < 1) return [scale, -min];
  for (let is = 0; is <= steps; is++) {
    // min moves to the best fit found so far, and the next trial scales from there.
    iscale = fround(fround(fround(rmin + fround(rdelta * is)) + nmax) / fround(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const value = x[first + i]!;
      const l = clamp(nearestInt(fround(iscale * fround(value - min))), 0, nmax);
      trial[i] = l;
      const w = weights[i]!;
      const wl = fround(w * l);
      sumL = fround(sumL + wl);
      sumL2 = fround(sumL2 + fround(wl * l));
      sumXL = fround(sumXL + fround(wl * value));
    }
    const determinant = fround(fround(sumW * sumL2) - fround(sumL * sumL));
    if (determinant > 0) {
      let thisScale = fround(fround(fround(sumW * sumXL) - fround(sumX * sumL)) / determinant);
      let thisMin = fround(fround(fround(sumL2 * sumX) - fround(sumL * sumXL)) / determinant);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fround(sumXL / sumL2);
      }
      let error = 0;
      for (let i = 0; i < n; i++) {
        let diff = fround(fround(fround(thisScale * trial[i]!) + thisMin) - x[first + i]!);
        diff = absoluteError ? Math.abs(diff) : fround(diff * diff);
        error = fround(error + fround(weights[i]! * diff));
      }
      if (error < bestError) {
        levels.set(trial.subarray(0, n), levelsFirst);
        bestError = error;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return [scale, -min];
}
