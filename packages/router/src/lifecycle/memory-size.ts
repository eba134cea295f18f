/** Memory sizes in config (`4GB`, `512MiB`, a number of bytes) and estimates from model info. */
import type { ModelV1Info } from '@llmr/core';

const units: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Bytes from `1234`, `"4GB"`, `"512 MiB"`; undefined when the text is not a size. */
export function parseMemorySize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = units[(match[2] ?? 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}

const bitsPerWeight: [RegExp, number][] = [
  [/^(f|fp|bf)32$/i, 32],
  [/^(f|fp|bf)16$/i, 16],
  [/q8/i, 8.5],
  [/q6/i, 6.6],
  [/q5/i, 5.5],
  [/q4/i, 4.5],
  [/q3/i, 3.5],
  [/q2/i, 2.6],
  [/int8|i8/i, 8],
  [/int4|i4/i, 4],
];

/**
 * A rough resident size from parameter count and quantization (weights only, +10% for
 * buffers). Good enough for a budget; configure `memory` for anything precise.
 */
export function estimateModelMemory(
  info: Pick<ModelV1Info, 'parameterCount' | 'quantization'>,
): number | undefined {
  if (!info.parameterCount) return undefined;
  const bits =
    bitsPerWeight.find(([pattern]) => info.quantization && pattern.test(info.quantization))?.[1] ??
    16;
  return Math.round((info.parameterCount * bits * 1.1) / 8);
}
