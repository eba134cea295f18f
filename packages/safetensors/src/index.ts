/**
 * @llmr/safetensors — read and write safetensors in pure TypeScript (Node and browsers): single
 * files and sharded checkpoints, strict header validation, lazy per-tensor reads (file, Blob,
 * bytes, HTTP Range), streaming writers, and F16/BF16 helpers.
 */

// Byte plumbing and F16/BF16/FP8 helpers live in @llmr/binary-io; re-exported so this API is
// unchanged.
export {
  type ByteSink,
  type ByteSinkInput,
  type ByteSource,
  type ByteSourceInput,
  type ByteSourceOptions,
  bfloat16BitsToFloat32,
  bfloat16BytesToFloat32,
  float8E4M3BytesToFloat32,
  float8E5M2BytesToFloat32,
  float16BitsToFloat32,
  float16BytesToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  openByteSource,
} from '@llmr/binary-io';
export {
  type OpenSafetensorsCheckpointOptions,
  openSafetensorsCheckpoint,
  parseSafetensorsIndex,
  SAFETENSORS_INDEX_FILE,
  SAFETENSORS_SINGLE_FILE,
  type SafetensorsCheckpoint,
  type SafetensorsIndex,
} from './safetensors-checkpoint';
export {
  fromFloat32,
  isSafetensorsDtype,
  SAFETENSORS_DTYPE_SIZES,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  type SafetensorsTypedArray,
  toFloat32,
  toTypedArray,
} from './safetensors-dtype';
export type { SafetensorsErrorCode } from './safetensors-error';
export {
  type ParseSafetensorsHeaderOptions,
  parseSafetensorsHeader,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from './safetensors-header';
export {
  DEFAULT_SAFETENSORS_LIMITS,
  MAX_HEADER_SIZE,
  MAX_INDEX_SIZE,
  MAX_SHARD_COUNT,
  type SafetensorsLimits,
} from './safetensors-limits';
export {
  openSafetensors,
  type ReadSafetensorsOptions,
  readSafetensorsHeader,
  type SafetensorsFile,
  type SafetensorsTensor,
  type SafetensorsTensorReader,
} from './safetensors-reader';
export {
  type SafetensorsTensorData,
  type SafetensorsWriteOptions,
  type SafetensorsWriteResult,
  type SafetensorsWriteTensor,
  type SafetensorsWriteTensors,
  type ShardedSafetensorsResult,
  type WriteShardedSafetensorsOptions,
  writeSafetensors,
  writeSafetensorsToBuffer,
  writeShardedSafetensors,
} from './safetensors-writer';
