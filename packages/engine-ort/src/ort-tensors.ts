/**
 * TensorV1 <-> ONNX Runtime tensors. Plain tensors in, plain tensors out: nothing
 * engine-specific leaks into a loader. float16 travels as raw Uint16Array bits.
 */
import {
  InvalidArgumentError,
  type TensorV1,
  type TensorV1Data,
  type TensorV1Type,
} from '@llmr/core';

/** The part of onnxruntime-common's Tensor this package uses. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  dispose?(): void;
}

export type OrtTensorConstructor = new (
  type: string,
  data: unknown,
  dims?: readonly number[],
) => OrtTensorLike;

const SUPPORTED: readonly TensorV1Type[] = [
  'float32',
  'float16',
  'int64',
  'int32',
  'int8',
  'uint8',
  'bool',
];

export function toOrtTensor(
  Tensor: OrtTensorConstructor,
  name: string,
  tensor: TensorV1,
): OrtTensorLike {
  if (!SUPPORTED.includes(tensor.type)) {
    throw new InvalidArgumentError({
      argument: `feeds.${name}`,
      value: tensor.type,
      message: `Input "${name}" has type ${tensor.type}, which ONNX Runtime does not take here; use one of ${SUPPORTED.join(', ')}.`,
    });
  }
  const count = tensor.dims.reduce((product, dim) => product * dim, 1);
  if (tensor.data.length !== count) {
    throw new InvalidArgumentError({
      argument: `feeds.${name}`,
      value: tensor.dims,
      message: `Input "${name}" has dims [${tensor.dims.join(', ')}] (${count} elements) but ${tensor.data.length} values.`,
    });
  }
  return new Tensor(tensor.type, tensor.data, tensor.dims);
}

export function fromOrtTensor(tensor: OrtTensorLike): TensorV1 {
  let data = tensor.data as
    | TensorV1Data
    | { buffer: ArrayBufferLike; byteOffset: number; length: number };
  // Runtimes with a native Float16Array hand float16 back as one; llmr uses raw bits.
  if (tensor.type === 'float16' && !(data instanceof Uint16Array)) {
    const view = data as { buffer: ArrayBufferLike; byteOffset: number; length: number };
    data = new Uint16Array(view.buffer, view.byteOffset, view.length);
  }
  return { type: tensor.type as TensorV1Type, dims: [...tensor.dims], data: data as TensorV1Data };
}
