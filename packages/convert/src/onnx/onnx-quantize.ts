/**
 * Weight-only quantization for ONNX Runtime's MatMulNBits (com.microsoft): blocks of
 * `blockSize` values along K, symmetric, one float scale per block and the default zero
 * point (2^(bits-1)), so no zero-point tensor is stored. Q4 follows ggml's Q4_0 rounding
 * (the scale keeps the sign of the largest-magnitude value), Q8 uses absmax / 127.
 */

export interface MatMulNBitsWeight {
  /** [N, K / blockSize, blockSize * bits / 8] bytes. */
  packed: Uint8Array;
  /** [N * K / blockSize] scales. */
  scales: Float32Array;
  bits: 4 | 8;
  blockSize: number;
}

/**
 * Quantizes a [rows (N), columns (K)] row-major weight (Hugging Face's [out, in] layout,
 * exactly what MatMulNBits expects). K must be a multiple of blockSize.
 */
export function quantizeMatMulNBits(
  weight: Float32Array,
  rows: number,
  columns: number,
  bits: 4 | 8,
  blockSize = 32,
): MatMulNBitsWeight {
  if (columns % blockSize !== 0)
    throw new RangeError(`K (${columns}) must be a multiple of the block size (${blockSize}).`);
  const blocksPerRow = columns / blockSize;
  const blobSize = (blockSize * bits) / 8;
  const packed = new Uint8Array(rows * blocksPerRow * blobSize);
  const scales = new Float32Array(rows * blocksPerRow);
  const zeroPoint = 1 << (bits - 1);
  const maxLevel = (1 << bits) - 1;
  for (let row = 0; row < rows; row++) {
    for (let block = 0; block < blocksPerRow; block++) {
      const start = row * columns + block * blockSize;
      let scale: number;
      if (bits === 4) {
        let extreme = 0;
        for (let index = 0; index < blockSize; index++) {
          const value = weight[start + index]!;
          if (Math.abs(value) > Math.abs(extreme)) extreme = value;
        }
        scale = extreme / -8;
      } else {
        let absMax = 0;
        for (let index = 0; index < blockSize; index++)
          absMax = Math.max(absMax, Math.abs(weight[start + index]!));
        scale = absMax / 127;
      }
      // Stored as float32; quantize against the stored value so dequantization is exact.
      scale = Math.fround(scale);
      const inverse = scale === 0 ? 0 : 1 / scale;
      const blockIndex = row * blocksPerRow + block;
      scales[blockIndex] = scale;
      const blob = blockIndex * blobSize;
      for (let index = 0; index < blockSize; index++) {
        const level = Math.min(
          maxLevel,
          Math.max(0, Math.round(weight[start + index]! * inverse) + zeroPoint),
        );
        if (bits === 8) packed[blob + index] = level;
        else packed[blob + (index >> 1)]! |= index & 1 ? level << 4 : level;
      }
    }
  }
  return { packed, scales, bits, blockSize };
}

/** The float weights a MatMulNBits weight stands for, [N, K] (tests, error measurement). */
export function dequantizeMatMulNBits(
  weight: MatMulNBitsWeight,
  rows: number,
  columns: number,
): Float32Array {
  const out = new Float32Array(rows * columns);
  const blocksPerRow = columns / weight.blockSize;
  const blobSize = (weight.blockSize * weight.bits) / 8;
  const zeroPoint = 1 << (weight.bits - 1);
  for (let row = 0; row < rows; row++) {
    for (let block = 0; block < blocksPerRow; block++) {
      const blockIndex = row * blocksPerRow + block;
      const scale = weight.scales[blockIndex]!;
      for (let index = 0; index < weight.blockSize; index++) {
        const byte =
          weight.packed[blockIndex * blobSize + (weight.bits === 8 ? index : index >> 1)]!;
        const level = weight.bits === 8 ? byte : index & 1 ? byte >> 4 : byte & 15;
        out[row * columns + block * weight.blockSize + index] = (level - zeroPoint) * scale;
      }
    }
  }
  return out;
}
