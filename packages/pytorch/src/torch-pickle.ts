/**
 * What PyTorch puts in a checkpoint's pickle, and nothing else: the allow-list of globals a
 * state dict needs (`torch._utils._rebuild_tensor_v2`, `torch.*Storage`,
 * `collections.OrderedDict`, ...), storage references from persistent ids, and tensors as
 * plain descriptions (storage, offset, shape, stride) whose bytes are read later.
 */
import { PYTORCH_DTYPE_SIZES, type PytorchDtype, STORAGE_TYPES } from './pytorch-dtype';
import { pytorchError } from './pytorch-error';
import type { PytorchLimits } from './pytorch-limits';
import {
  describe,
  PickleGlobal,
  type PickleGlobalHandler,
  type PickleTuple,
  type PickleValue,
  unpickle,
} from './restricted-unpickler';

/** One storage: a run of `numel` elements of `dtype` kept under `key` in the file. */
export interface PytorchStorage {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: PytorchDtype;
  readonly numel: number;
  /** Legacy files only: a view into another storage, `offset` elements in. */
  readonly view?: { readonly key: string; readonly offset: number };
}

/** A tensor as the pickle describes it; its bytes stay in the file until read. */
export interface PytorchTensorRef {
  readonly kind: 'tensor';
  readonly storage: PytorchStorage;
  /** In elements. */
  readonly storageOffset: number;
  readonly shape: readonly number[];
  /** In elements, per dimension. */
  readonly stride: readonly number[];
}

function isTensor(value: PickleValue): value is PytorchTensorRef {
  return (
    typeof value === 'object' && value !== null && (value as PytorchTensorRef).kind === 'tensor'
  );
}

function isStorage(value: PickleValue): value is PytorchStorage {
  return (
    typeof value === 'object' && value !== null && (value as PytorchStorage).kind === 'storage'
  );
}

const invalid = (message: string) => pytorchError('pytorch-invalid-tensor', message);

function integer(value: PickleValue, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalid(`${what} should be a non-negative integer, not ${String(value).slice(0, 40)}.`);
  return value;
}

function integers(value: PickleValue, what: string, limits: PytorchLimits): number[] {
  if (!Array.isArray(value)) throw invalid(`${what} should be a tuple, not a ${describe(value)}.`);
  if (value.length > limits.maxTensorDims) {
    throw pytorchError(
      'pytorch-limit-exceeded',
      `A tensor has ${value.length} dimensions, above maxTensorDims (${limits.maxTensorDims}).`,
    );
  }
  return value.map((item, index) => integer(item as PickleValue, `${what}[${index}]`));
}

/** Checks that every element a tensor can reach lies inside its storage. */
function rebuildTensor(args: PickleTuple, limits: PytorchLimits): PytorchTensorRef {
  const [storage, offset, size, stride] = args;
  if (!isStorage(storage as PickleValue)) {
    throw invalid(
      `_rebuild_tensor_v2 needs a storage as its first argument, not a ${describe(storage as PickleValue)}.`,
    );
  }
  const tensor: PytorchTensorRef = {
    kind: 'tensor',
    storage: storage as PytorchStorage,
    storageOffset: integer(offset as PickleValue, 'storage_offset'),
    shape: integers(size as PickleValue, 'size', limits),
    stride: integers(stride as PickleValue, 'stride', limits),
  };
  if (tensor.shape.length !== tensor.stride.length) {
    throw invalid(
      `A tensor's size (${tensor.shape.length} dimensions) and stride (${tensor.stride.length}) disagree.`,
    );
  }
  let last = BigInt(tensor.storageOffset);
  let empty = false;
  for (let dim = 0; dim < tensor.shape.length; dim++) {
    if (tensor.shape[dim] === 0) empty = true;
    last += BigInt(Math.max(0, tensor.shape[dim]! - 1)) * BigInt(tensor.stride[dim]!);
  }
  if (!empty && last >= BigInt(tensor.storage.numel)) {
    throw invalid(
      `A tensor of shape [${tensor.shape.join(', ')}] (stride [${tensor.stride.join(', ')}], offset ${tensor.storageOffset}) reaches element ${last}, outside its storage of ${tensor.storage.numel} elements.`,
    );
  }
  return tensor;
}

function storageOf(value: PickleValue): PytorchTensorRef {
  if (!isTensor(value))
    throw invalid(`_rebuild_parameter needs a tensor, not a ${describe(value)}.`);
  return value;
}

function allowList(limits: PytorchLimits): Map<string, PickleGlobalHandler> {
  const orderedDict: PickleGlobalHandler = {
    call: (args) => {
      if (args.length !== 0)
        throw pytorchError('pytorch-forbidden-call', 'OrderedDict is only rebuilt empty here.');
      return new Map();
    },
    // A state dict's `_metadata` (per-module versions): not needed to read tensors.
    build: (value) => value,
  };
  const globals = new Map<string, PickleGlobalHandler>([
    ['collections.OrderedDict', orderedDict],
    ['torch._utils._rebuild_tensor_v2', { call: (args) => rebuildTensor(args, limits) }],
    ['torch._utils._rebuild_tensor', { call: (args) => rebuildTensor(args, limits) }],
    [
      'torch._utils._rebuild_parameter',
      { call: (args) => storageOf(args[0] as PickleValue), build: (value) => value },
    ],
    [
      'torch._utils._rebuild_parameter_with_state',
      { call: (args) => storageOf(args[0] as PickleValue) },
    ],
  ]);
  // Storage classes are only named in persistent ids, never called.
  for (const name of Object.keys(STORAGE_TYPES)) globals.set(`torch.${name}`, {});
  return globals;
}

export interface UnpickledCheckpoint {
  value: PickleValue;
  /** Bytes the pickle took. */
  length: number;
  /** Every storage the pickle refers to, by key. */
  storages: Map<string, PytorchStorage>;
}

/**
 * Unpickles a checkpoint's main pickle. Persistent ids are `('storage', torch.XStorage, key,
 * location, numel)` (zip) or the same with a sixth view field (legacy).
 */
export function unpickleCheckpoint(
  bytes: Uint8Array,
  options: { limits: PytorchLimits; complete: boolean },
): UnpickledCheckpoint {
  const storages = new Map<string, PytorchStorage>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5 || pid.length > 6) {
      throw pytorchError(
        'pytorch-forbidden-call',
        `A persistent id should be ('storage', type, key, location, numel), not a ${describe(pid)}${Array.isArray(pid) ? ` of ${pid.length} items starting ${JSON.stringify(String(pid[0])).slice(0, 40)}` : ''}.`,
      );
    }
    const [, type, key, , numel, view] = pid as PickleValue[];
    if (!(type instanceof PickleGlobal) || type.module !== 'torch' || !(type.name in STORAGE_TYPES))
      throw pytorchError(
        'pytorch-unknown-dtype',
        `Unknown storage type ${describe(type ?? null)}.`,
      );
    if (typeof key !== 'string' || key.length === 0 || key.length > 256)
      throw invalid(`A storage key should be a short string, not ${describe(key ?? null)}.`);
    const dtype = STORAGE_TYPES[type.name]!;
    const count = integer(numel ?? null, `storage ${key}'s size`);
    if (count * PYTORCH_DTYPE_SIZES[dtype] > Number.MAX_SAFE_INTEGER)
      throw invalid(`Storage ${key} declares ${count} elements, more than any file can hold.`);
    const base = storages.get(key);
    if (base && (base.dtype !== dtype || base.numel !== count) && view == null) {
      throw invalid(`Storage ${key} is declared twice with different types or sizes.`);
    }
    const storage: PytorchStorage = base ?? { kind: 'storage', key, dtype, numel: count };
    storages.set(key, storage);
    if (view == null) return storage;
    // Pre-1.0 legacy files: (view key, offset, size) into the storage `key`.
    if (!Array.isArray(view) || view.length !== 3 || typeof view[0] !== 'string')
      throw invalid(`Storage ${key} has a malformed view ${describe(view)}.`);
    const offset = integer(view[1] as PickleValue, 'view offset');
    const size = integer(view[2] as PickleValue, 'view size');
    if (offset + size > count)
      throw invalid(
        `A view of storage ${key} (offset ${offset}, size ${size}) reaches past its ${count} elements.`,
      );
    return { kind: 'storage', key: view[0], dtype, numel: size, view: { key, offset } };
  };
  const { value, length } = unpickle(bytes, {
    globals: allowList(options.limits),
    persistentLoad,
    limits: options.limits,
    complete: options.complete,
  });
  return { value, length, storages };
}

/**
 * Every tensor in the unpickled object, by name: a state dict's own keys, and for nested
 * checkpoints (`{ model: state_dict, ... }`) dotted paths (`model.layer.weight`).
 */
export function collectTensors(
  value: PickleValue,
  limits: PytorchLimits,
): Map<string, PytorchTensorRef> {
  const tensors = new Map<string, PytorchTensorRef>();
  // Each container is walked once: the memo lets a pickle reference one list from everywhere
  // (or from itself), which would otherwise cost exponential time.
  const seen = new Set<object>();
  const visit = (node: PickleValue, path: string, depth: number) => {
    if (isTensor(node)) {
      if (tensors.size >= limits.maxTensorCount) {
        throw pytorchError(
          'pytorch-limit-exceeded',
          `More than maxTensorCount (${limits.maxTensorCount}) tensors.`,
        );
      }
      tensors.set(path, node);
      return;
    }
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    const entries: [string, PickleValue][] =
      node instanceof Map
        ? [...node].map(([key, item]) => [String(key), item])
        : Array.isArray(node)
          ? node.map((item, index) => [String(index), item as PickleValue])
          : [];
    if (entries.length === 0) return;
    if (depth >= limits.maxContainerDepth) {
      throw pytorchError(
        'pytorch-limit-exceeded',
        `The checkpoint nests containers deeper than maxContainerDepth (${limits.maxContainerDepth}).`,
      );
    }
    for (const [key, item] of entries) visit(item, path ? `${path}.${key}` : key, depth + 1);
  };
  visit(value, '', 0);
  if (tensors.size === 0) {
    throw pytorchError(
      'pytorch-no-tensors',
      `The checkpoint holds no tensors (it unpickled to a ${describe(value)}); expected a state dict.`,
    );
  }
  return tensors;
}
