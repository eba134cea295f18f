/**
 * Log-spaced latency buckets (each 10% wider than the last, from 1 ms), so a quantile read
 * from summed bucket counts is within 10% of the true value whatever the scale, and a
 * bucket of events stores only the few bins it used.
 */
const GROWTH = 1.1;
const MAX_BIN = 200; // 1.1^200 ms is about 6 hours: anything slower shares the last bin.

export function latencyBin(milliseconds: number): number {
  if (!(milliseconds > 1)) return 0;
  return Math.min(MAX_BIN, Math.ceil(Math.log(milliseconds) / Math.log(GROWTH)));
}

/** The upper bound of a bin, in ms. */
export function binUpperBound(bin: number): number {
  return GROWTH ** bin;
}

export const LATENCY_FIELD_PREFIX = 'l';

/** The `q` quantile (0..1) of the latency bins in `fields`, or undefined with no events. */
export function latencyQuantile(fields: Record<string, number>, q: number): number | undefined {
  const bins: [number, number][] = [];
  let total = 0;
  for (const [field, count] of Object.entries(fields)) {
    if (!field.startsWith(LATENCY_FIELD_PREFIX) || count <= 0) continue;
    bins.push([Number(field.slice(LATENCY_FIELD_PREFIX.length)), count]);
    total += count;
  }
  if (total === 0) return undefined;
  bins.sort((left, right) => left[0] - right[0]);
  const rank = q * total;
  let seen = 0;
  for (const [bin, count] of bins) {
    seen += count;
    if (seen >= rank) return binUpperBound(bin);
  }
  return binUpperBound(bins[bins.length - 1]?.[0] ?? 0);
}
