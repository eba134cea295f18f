/** Bounds on what a safetensors file or index may claim, checked before anything is allocated. */

/** Largest JSON header accepted, in bytes (the reference implementation's limit). */
export const MAX_HEADER_SIZE = 100_000_000;
/** Largest `model.safetensors.index.json`, in bytes. */
export const MAX_INDEX_SIZE = 64 * 1024 * 1024;
/** Most shard files one index may name. */
export const MAX_SHARD_COUNT = 10_000;

export interface SafetensorsLimits {
  maxHeaderSize: number;
  maxIndexSize: number;
  maxShardCount: number;
}

export const DEFAULT_SAFETENSORS_LIMITS: Readonly<SafetensorsLimits> = Object.freeze({
  maxHeaderSize: MAX_HEADER_SIZE,
  maxIndexSize: MAX_INDEX_SIZE,
  maxShardCount: MAX_SHARD_COUNT,
});

export function resolveSafetensorsLimits(
  limits: Partial<SafetensorsLimits> | undefined,
): SafetensorsLimits {
  return { ...DEFAULT_SAFETENSORS_LIMITS, ...limits };
}
