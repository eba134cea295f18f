/** The `ParseError` codes this package throws, and a helper to make them. */
import { ParseError } from '@llmr/core';

export type SafetensorsErrorCode =
  /** Shorter than the 8-byte header length, or a tensor's bytes could not all be read. */
  | 'safetensors-truncated'
  /** The header length is above `maxHeaderSize` (100 MB, as in the reference). */
  | 'safetensors-header-too-large'
  /** The header length runs past the end of the file. */
  | 'safetensors-invalid-header-length'
  /** The header is not UTF-8. */
  | 'safetensors-invalid-header'
  /** The header does not start with `{`. */
  | 'safetensors-invalid-header-start'
  /** The header is not valid JSON. */
  | 'safetensors-invalid-json'
  /** `__metadata__` is not an object of strings. */
  | 'safetensors-invalid-metadata'
  /** A tensor entry lacks `dtype`, `shape` or `data_offsets`, or has the wrong kinds of values. */
  | 'safetensors-invalid-tensor-info'
  /** A dtype this package does not know. */
  | 'safetensors-unknown-dtype'
  /** A shape that is not a list of non-negative integers. */
  | 'safetensors-invalid-shape'
  /** Offsets that are not contiguous from 0 (a gap or an overlap), or end before they begin. */
  | 'safetensors-invalid-offsets'
  /** An element count or byte size above 2^53. */
  | 'safetensors-overflow'
  /** `data_offsets` disagree with dtype x shape. */
  | 'safetensors-size-mismatch'
  /** The data section is larger or smaller than the tensors. */
  | 'safetensors-incomplete-buffer'
  /** `model.safetensors.index.json` is malformed or disagrees with its shards. */
  | 'safetensors-invalid-index'
  /** A count or length is above its limit (see `SafetensorsLimits`). */
  | 'safetensors-limit-exceeded';

export function safetensorsError(
  code: SafetensorsErrorCode,
  message: string,
  offset?: number,
  cause?: unknown,
): ParseError {
  return new ParseError({ format: 'safetensors', code, message, offset, cause });
}
