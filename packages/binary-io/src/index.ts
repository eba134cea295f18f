/**
 * @llmr/binary-io — the byte plumbing that llmr's format packages (@llmr/gguf,
 * @llmr/safetensors) share: random-access reads from bytes, Blobs, files and http(s) Range
 * requests; streaming writes to files, WritableStreams and `{ write(chunk) }` objects; and
 * F16/BF16/FP8 conversions. Browser-safe: file access is a dynamic `import('node:fs/promises')`.
 */

export {
  type ByteSink,
  type ByteSinkInput,
  bufferSink,
  DEFAULT_CHUNK_BYTES,
  type OpenedSink,
  openByteSink,
  progressCounter,
  type WriteEncodedInChunksOptions,
  type WriteInChunksOptions,
  writeEncodedInChunks,
  writeInChunks,
  writeThenClose,
} from './byte-sink';
export {
  type ByteSource,
  type ByteSourceInput,
  type ByteSourceOptions,
  isByteSource,
  openByteSource,
  openByteSourceWith,
  toByteSource,
  withByteSource,
} from './byte-source';
export {
  bfloat16BitsToFloat32,
  bfloat16BytesToFloat32,
  float8E4M3BytesToFloat32,
  float8E5M2BytesToFloat32,
  float16BitsToFloat32,
  float16BytesToFloat32,
  float16Table,
  float32BitsToBfloat16Bits,
  float32BitsToFloat16Bits,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  writeBfloat16Bytes,
  writeFloat16Bytes,
} from './float16';
export { loadTensorData, type TensorDataInput } from './tensor-data';
