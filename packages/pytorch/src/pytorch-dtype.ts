/** PyTorch storage types, their element sizes, and conversion of their bytes to float32. */
import { bfloat16BytesToFloat32, float16BytesToFloat32 } from '@llmr/binary-io';
import { SAFETENSORS_DTYPE_SIZES } from '@llmr/safetensors';

/** Element types, named as safetensors names them. */
export type PytorchDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/** `torch.<Name>Storage` -> element type (the classes a state dict's persistent ids name). */
export const STORAGE_TYPES: Readonly<Record<string, PytorchDtype>> = Object.freeze({
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
});

/** Bytes per element: the same names and sizes as safetensors'. */
export const PYTORCH_DTYPE_SIZES: Readonly<Record<PytorchDtype, number>> = SAFETENSORS_DTYPE_SIZES;

/** Little-endian bytes of `count` contiguous elements of `dtype` as float32. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function pytorchBytesToFloat32(
  bytes: Uint8Array,
  dtype: PytorchDtype,
  count: number,
): Float32Array {
  switch (dtype) {
    case 'F16':
      return float16BytesToFloat32(bytes, count);
    case 'BF16':
      return bfloat16BytesToFloat32(bytes, count);
    case 'U8':
    case 'BOOL':
      return Float32Array.from(bytes.subarray(0, count));
    case 'F32':
      // slice() copies into a fresh, aligned buffer; every platform JS runs on is little-endian.
      if (LITTLE_ENDIAN) return new Float32Array(bytes.slice(0, count * 4).buffer);
      break;
    case 'I8':
      return Float32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, count));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const output = new Float32Array(count);
  const size = PYTORCH_DTYPE_SIZES[dtype];
  for (let index = 0, offset = 0; index < count; index++, offset += size) {
    output[index] =
      dtype === 'F32'
        ? view.getFloat32(offset, true)
        : dtype === 'F64'
          ? view.getFloat64(offset, true)
          : dtype === 'I64'
            ? Number(view.getBigInt64(offset, true))
            : dtype === 'I32'
              ? view.getInt32(offset, true)
              : view.getInt16(offset, true);
  }
  return output;
}
