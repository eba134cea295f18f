/** The `ParseError` codes this package throws, and a helper to make them. */
import { ParseError } from '@llmr/core';

export type GgufErrorCode =
  /** The file does not start with `GGUF`. */
  | 'gguf-invalid-magic'
  /** Version 1, a version above 3, or a big-endian file. */
  | 'gguf-unsupported-version'
  /** The file ends in the middle of the header or of a tensor's data. */
  | 'gguf-truncated'
  /** A count, length, depth or size is above its limit (see `GgufLimits`). */
  | 'gguf-limit-exceeded'
  /** An unknown metadata value type or ggml tensor type. */
  | 'gguf-invalid-type'
  /** A tensor's data lies (partly) outside the file. */
  | 'gguf-out-of-bounds'
  /** Two tensors' data ranges overlap. */
  | 'gguf-overlapping-tensors'
  /** A tensor offset is not a multiple of the alignment, or `general.alignment` is unusable. */
  | 'gguf-invalid-alignment'
  /** A tensor's first dimension is not a whole number of its type's blocks. */
  | 'gguf-invalid-shape'
  /** The same metadata key twice. */
  | 'gguf-duplicate-key'
  /** The same tensor name twice. */
  | 'gguf-duplicate-tensor'
  /** A metadata value has a type or range its key cannot have (typed accessors). */
  | 'gguf-invalid-value';

export function ggufError(code: GgufErrorCode, message: string, offset?: number): ParseError {
  return new ParseError({ format: 'gguf', code, message, offset });
}
