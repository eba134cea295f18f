/** The `ParseError` codes this package throws, and a helper to make them. */
import { ParseError } from '@llmr/core';

export type PytorchErrorCode =
  /** Neither a zip archive nor a pickle stream PyTorch writes. */
  | 'pytorch-unknown-format'
  /** The file ends before a structure it declares. */
  | 'pytorch-truncated'
  /** The zip archive's directories are malformed, or an entry PyTorch writes is missing. */
  | 'pytorch-invalid-zip'
  /** A zip entry is compressed; PyTorch stores entries uncompressed. */
  | 'pytorch-unsupported-compression'
  /** An opcode outside the set a state dict needs (or not a pickle opcode at all). */
  | 'pytorch-unsupported-opcode'
  /** A global (class or function) outside the allow-list: the file would run code. */
  | 'pytorch-forbidden-global'
  /** A REDUCE, BUILD or persistent id on something the allow-list does not cover. */
  | 'pytorch-forbidden-call'
  /** The pickle is malformed: stack underflow, missing MARK, bad memo index, bad arguments. */
  | 'pytorch-invalid-pickle'
  /** A tensor's shape, stride or offset reaches outside its storage, or a storage outside the file. */
  | 'pytorch-invalid-tensor'
  /** A storage type this package does not read. */
  | 'pytorch-unknown-dtype'
  /** The file holds no tensors (or not a state dict). */
  | 'pytorch-no-tensors'
  /** `pytorch_model.bin.index.json` is malformed or disagrees with its shards. */
  | 'pytorch-invalid-index'
  /** A count or length is above its limit (see `PytorchLimits`). */
  | 'pytorch-limit-exceeded';

export function pytorchError(
  code: PytorchErrorCode,
  message: string,
  offset?: number,
  cause?: unknown,
): ParseError {
  return new ParseError({ format: 'pytorch', code, message, offset, cause });
}
