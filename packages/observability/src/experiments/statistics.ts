/**
 * The few distributions the experiment reports need, written out so the package carries
 * no statistics dependency: the normal and Student's t distributions (CDF and quantile),
 * Welch's t-test for means with unequal variances, the pooled two-proportion z-test, and
 * the Wilson interval for a rate.
 */

/** Running sums: enough for a mean and a sample variance, and additive across replicas. */
export interface Moments {
  count: number;
  sum: number;
  sumOfSquares: number;
}

export function emptyMoments(): Moments {
  return { count: 0, sum: 0, sumOfSquares: 0 };
}

export function addSample(moments: Moments, value: number): void {
  moments.count += 1;
  moments.sum += value;
  moments.sumOfSquares += value * value;
}

export function meanOf(moments: Moments): number {
  return moments.count === 0 ? Number.NaN : moments.sum / moments.count;
}

export function varianceOf(moments: Moments): number {
  if (moments.count < 2) return Number.NaN;
  const variance =
    (moments.sumOfSquares - (moments.sum * moments.sum) / moments.count) / (moments.count - 1);
  return Math.max(0, variance);
}

/** erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return sign * y;
}

export function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/** The standard normal quantile (Acklam's rational approximation, relative error 1e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/** ln Γ(x) by the Lanczos approximation (g = 7, 9 terms). */
function logGamma(x: number): number {
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = coefficients[0] ?? 0;
  for (let index = 1; index < 9; index++) sum += (coefficients[index] ?? 0) / (shifted + index);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of the incomplete beta function (Numerical Recipes' betacf). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-12) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T <= t) for Student's t with `degreesOfFreedom`. */
export function studentTCdf(t: number, degreesOfFreedom: number): number {
  const tail =
    0.5 * incompleteBeta(degreesOfFreedom / (degreesOfFreedom + t * t), degreesOfFreedom / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The t with P(T <= t) = p, by bisection on the CDF (monotone, so it always converges). */
export function studentTQuantile(p: number, degreesOfFreedom: number): number {
  if (!Number.isFinite(degreesOfFreedom) || degreesOfFreedom > 1e6) return normalQuantile(p);
  let low = -1e3;
  let high = 1e3;
  for (let iteration = 0; iteration < 100; iteration++) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, degreesOfFreedom) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

export interface TestResult {
  /** Treatment minus control. */
  difference: number;
  /** Confidence interval of the difference at the level asked. */
  interval: [number, number];
  statistic: number;
  pValue: number;
  degreesOfFreedom?: number;
}

/** Welch's t-test (two-sided) of treatment mean minus control mean. */
export function welchTTest(
  control: Moments,
  treatment: Moments,
  alpha: number,
): TestResult | undefined {
  if (control.count < 2 || treatment.count < 2) return undefined;
  const controlTerm = varianceOf(control) / control.count;
  const treatmentTerm = varianceOf(treatment) / treatment.count;
  const standardError = Math.sqrt(controlTerm + treatmentTerm);
  const difference = meanOf(treatment) - meanOf(control);
  if (standardError === 0) {
    return {
      difference,
      interval: [difference, difference],
      statistic: 0,
      pValue: difference === 0 ? 1 : 0,
    };
  }
  const degreesOfFreedom =
    (controlTerm + treatmentTerm) ** 2 /
    (controlTerm ** 2 / (control.count - 1) + treatmentTerm ** 2 / (treatment.count - 1));
  const statistic = difference / standardError;
  const pValue = 2 * (1 - studentTCdf(Math.abs(statistic), degreesOfFreedom));
  const margin = studentTQuantile(1 - alpha / 2, degreesOfFreedom) * standardError;
  return {
    difference,
    interval: [difference - margin, difference + margin],
    statistic,
    pValue,
    degreesOfFreedom,
  };
}

/** The pooled two-proportion z-test (two-sided) of treatment rate minus control rate. */
export function twoProportionZTest(
  control: { successes: number; trials: number },
  treatment: { successes: number; trials: number },
  alpha: number,
): TestResult | undefined {
  if (control.trials === 0 || treatment.trials === 0) return undefined;
  const controlRate = control.successes / control.trials;
  const treatmentRate = treatment.successes / treatment.trials;
  const difference = treatmentRate - controlRate;
  const pooled = (control.successes + treatment.successes) / (control.trials + treatment.trials);
  const pooledError = Math.sqrt(
    pooled * (1 - pooled) * (1 / control.trials + 1 / treatment.trials),
  );
  const statistic = pooledError === 0 ? 0 : difference / pooledError;
  const pValue =
    pooledError === 0 ? (difference === 0 ? 1 : 0) : 2 * (1 - normalCdf(Math.abs(statistic)));
  // The interval uses the unpooled error: it describes the difference, not the null.
  const unpooledError = Math.sqrt(
    (controlRate * (1 - controlRate)) / control.trials +
      (treatmentRate * (1 - treatmentRate)) / treatment.trials,
  );
  const margin = normalQuantile(1 - alpha / 2) * unpooledError;
  return { difference, interval: [difference - margin, difference + margin], statistic, pValue };
}

/** Mean and its t-interval. */
export function meanInterval(
  moments: Moments,
  alpha: number,
): { mean: number; interval: [number, number] } {
  const mean = meanOf(moments);
  if (moments.count < 2) return { mean, interval: [Number.NaN, Number.NaN] };
  const margin =
    studentTQuantile(1 - alpha / 2, moments.count - 1) *
    Math.sqrt(varianceOf(moments) / moments.count);
  return { mean, interval: [mean - margin, mean + margin] };
}

/** A rate and its Wilson score interval (sound near 0 and 1, unlike the normal one). */
export function rateInterval(
  successes: number,
  trials: number,
  alpha: number,
): { rate: number; interval: [number, number] } {
  if (trials === 0) return { rate: Number.NaN, interval: [Number.NaN, Number.NaN] };
  const z = normalQuantile(1 - alpha / 2);
  const rate = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = (rate + (z * z) / (2 * trials)) / denominator;
  const margin =
    (z * Math.sqrt((rate * (1 - rate)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  return { rate, interval: [centre - margin, centre + margin] };
}
