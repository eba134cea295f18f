/**
 * Bounds on what a PyTorch checkpoint may claim. Each is checked before anything is allocated
 * for it, so a hostile file is refused with a `pytorch-limit-exceeded` ParseError, and memory
 * stays bounded by the file (a pickle op creates at most one object, and every op takes a byte).
 * The defaults are far above what real checkpoints use; change them per call with `limits`.
 */

/** Largest pickle read into memory, in bytes (a 70B model's data.pkl is about 100 KB). */
export const MAX_PICKLE_SIZE = 256 * 1024 * 1024;
/** Longest single string or bytes object in the pickle, in bytes. */
export const MAX_STRING_LENGTH = 16 * 1024 * 1024;
/** Most memo entries (BINPUT/MEMOIZE) one pickle may make. */
export const MAX_MEMO_SIZE = 4 * 1024 * 1024;
/** Deepest nesting of MARKs (open tuples, lists, dicts being built). */
export const MAX_MARK_DEPTH = 1024;
/** Deepest nesting of containers when looking for tensors in the unpickled object. */
export const MAX_CONTAINER_DEPTH = 32;
/** Most tensors in one file. */
export const MAX_TENSOR_COUNT = 1_048_576;
/** Most dimensions of a tensor (PyTorch's own limit is 64). */
export const MAX_TENSOR_DIMS = 64;
/** Most entries in a zip archive's central directory. */
export const MAX_ZIP_ENTRIES = 1_048_576;
/** Largest `pytorch_model.bin.index.json`, in bytes. */
export const MAX_INDEX_SIZE = 64 * 1024 * 1024;

export interface PytorchLimits {
  maxPickleSize: number;
  maxStringLength: number;
  maxMemoSize: number;
  maxMarkDepth: number;
  maxContainerDepth: number;
  maxTensorCount: number;
  maxTensorDims: number;
  maxZipEntries: number;
  maxIndexSize: number;
}

export const DEFAULT_PYTORCH_LIMITS: Readonly<PytorchLimits> = Object.freeze({
  maxPickleSize: MAX_PICKLE_SIZE,
  maxStringLength: MAX_STRING_LENGTH,
  maxMemoSize: MAX_MEMO_SIZE,
  maxMarkDepth: MAX_MARK_DEPTH,
  maxContainerDepth: MAX_CONTAINER_DEPTH,
  maxTensorCount: MAX_TENSOR_COUNT,
  maxTensorDims: MAX_TENSOR_DIMS,
  maxZipEntries: MAX_ZIP_ENTRIES,
  maxIndexSize: MAX_INDEX_SIZE,
});

export function resolvePytorchLimits(limits: Partial<PytorchLimits> | undefined): PytorchLimits {
  return { ...DEFAULT_PYTORCH_LIMITS, ...limits };
}
