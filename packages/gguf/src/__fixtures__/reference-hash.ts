import { createHash } from 'node:crypto';

/**
 * What the pinned ggml reference hashes cover: SHA-256 of the quantized blocks followed by
 * their dequantized float32 values (little-endian), as the C reference program writes them.
 */
export function blocksAndValuesHash(bytes: Uint8Array, decoded: Float32Array): string {
  return createHash('sha256')
    .update(bytes)
    .update(new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength))
    .digest('hex');
}
