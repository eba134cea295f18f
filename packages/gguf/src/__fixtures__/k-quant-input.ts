/**
 * Seeded inputs for the K-quant reference checks: 64 super-blocks of 256 values that walk the
 * quantizers' branches (signed and positive-only blocks, outliers, all-zero and constant
 * blocks and sub-blocks, values on the quantization grid where rounding ties, magnitudes near
 * ggml's GROUP_MAX_EPS).
 */
import { createSeededRandom } from '@llmr/core';

export function kQuantInput(): Float32Array {
  const random = createSeededRandom(19);
  const values = new Float32Array(256 * 64);
  for (let index = 0; index < values.length; index++) {
    const block = index >>> 8;
    const within = index & 255;
    const uniform = random() * 2 - 1;
    switch (block % 8) {
      case 0:
        values[index] = uniform;
        break;
      case 1: // bell-shaped, weight-like
        values[index] = (uniform + (random() * 2 - 1) + (random() * 2 - 1)) * 0.02;
        break;
      case 2: // one outlier per 32 values
        values[index] = within % 32 === 5 ? 3 * Math.sign(uniform) : uniform * 0.01;
        break;
      case 3: // all zero but one sub-block of 16
        values[index] = within >= 48 && within < 64 ? uniform : 0;
        break;
      case 4: // positive only
        values[index] = 0.5 + Math.abs(uniform);
        break;
      case 5: // constant
        values[index] = 0.25;
        break;
      case 6: // on a grid: many exact halves
        values[index] = (Math.floor(uniform * 8) + (within % 2 ? 0.5 : 0)) * 0.125;
        break;
      default: // tiny, around GROUP_MAX_EPS, and a zero half
        values[index] = within < 128 ? 0 : uniform * (within < 192 ? 1e-15 : 1e-3);
    }
  }
  return values;
}
