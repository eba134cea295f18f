/**
 * @llmr/pytorch — reads PyTorch checkpoints (`pytorch_model.bin`, `.pt`, `.pth`) in pure
 * TypeScript without running code: zip and legacy serializations, sharded indexes, lazy
 * per-tensor reads, through a restricted unpickler. Browser-safe.
 */
export {
  findPytorchWeights,
  type OpenPytorchCheckpointOptions,
  openPytorchCheckpoint,
  PYTORCH_INDEX_FILE,
  PYTORCH_SINGLE_FILE,
  type PytorchCheckpoint,
} from './pytorch-checkpoint';
export {
  PYTORCH_DTYPE_SIZES,
  type PytorchDtype,
  pytorchBytesToFloat32,
  STORAGE_TYPES,
} from './pytorch-dtype';
export type { PytorchErrorCode } from './pytorch-error';
export {
  DEFAULT_PYTORCH_LIMITS,
  MAX_CONTAINER_DEPTH,
  MAX_INDEX_SIZE,
  MAX_MARK_DEPTH,
  MAX_MEMO_SIZE,
  MAX_PICKLE_SIZE,
  MAX_STRING_LENGTH,
  MAX_TENSOR_COUNT,
  MAX_TENSOR_DIMS,
  MAX_ZIP_ENTRIES,
  type PytorchLimits,
} from './pytorch-limits';
export {
  openPytorch,
  type PytorchFile,
  type PytorchTensorInfo,
  type PytorchTensorReader,
  type ReadPytorchOptions,
} from './pytorch-reader';
export {
  PickleGlobal,
  type PickleGlobalHandler,
  type PickleValue,
  type UnpickleOptions,
  unpickle,
} from './restricted-unpickler';
export {
  collectTensors,
  type PytorchStorage,
  type PytorchTensorRef,
  unpickleCheckpoint,
} from './torch-pickle';
