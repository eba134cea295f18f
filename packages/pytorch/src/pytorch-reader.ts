/**
 * Opens one PyTorch checkpoint file in either format `torch.save` writes:
 * - zip (the default since PyTorch 1.6): `<name>/data.pkl` plus one stored entry per storage,
 *   `<name>/data/<key>`;
 * - legacy (`_use_new_zipfile_serialization=False`, and every file before 1.6): five pickles in a
 *   row (magic number, protocol version, system info, the object, the storage keys), then each
 *   storage as an int64 element count and its bytes.
 * Only the pickle is read at open; tensor bytes are read when asked for.
 */
import {
  type ByteSource,
  type ByteSourceInput,
  type ByteSourceOptions,
  openByteSourceWith,
} from '@llmr/binary-io';
import { PYTORCH_DTYPE_SIZES, type PytorchDtype, pytorchBytesToFloat32 } from './pytorch-dtype';
import { pytorchError } from './pytorch-error';
import { type PytorchLimits, resolvePytorchLimits } from './pytorch-limits';
import { NeedMoreBytes, type PickleValue, unpickle } from './restricted-unpickler';
import {
  collectTensors,
  type PytorchStorage,
  type PytorchTensorRef,
  unpickleCheckpoint,
} from './torch-pickle';
import { readZipDirectory, zipEntryDataOffset } from './zip-archive';

export interface ReadPytorchOptions extends ByteSourceOptions {
  limits?: Partial<PytorchLimits>;
}

/** One tensor of a checkpoint, described; `readFloat32` fetches its values. */
export interface PytorchTensorInfo {
  readonly name: string;
  readonly dtype: PytorchDtype;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  /** In elements, into its storage. */
  readonly storageOffset: number;
  /** The storage's key in the file; tensors sharing one share a key. */
  readonly storageKey: string;
}

/** What a checkpoint reader offers, whether one file or the shards of an index. */
export interface PytorchTensorReader {
  readonly names: readonly string[];
  tensor(name: string): PytorchTensorInfo;
  shape(name: string): readonly number[];
  dtype(name: string): PytorchDtype;
  /** The tensor's values as float32, in row-major order whatever its strides. */
  readFloat32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface PytorchFile extends PytorchTensorReader {
  readonly format: 'zip' | 'legacy';
  readonly source: ByteSource;
}

/** The legacy format's first pickle: `0x1950a86a20f9469cfc6c`. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
const FIRST_WINDOW = 64 * 1024;

type StorageLocator = (storage: PytorchStorage) => Promise<number>;

/** Opens a checkpoint and reads its pickle. Close it when done. */
export async function openPytorch(
  input: ByteSourceInput | ByteSource,
  options: ReadPytorchOptions = {},
): Promise<PytorchFile> {
  const limits = resolvePytorchLimits(options.limits);
  const { source, value } = await openByteSourceWith(input, options, async (source) => {
    const head = await source.read(0, 4);
    const size = source.size;
    if (size === undefined)
      throw pytorchError('pytorch-unknown-format', `${source.name}: size unknown.`);
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04)
      return { format: 'zip' as const, ...(await openZip(source, size, limits)) };
    if (head[0] === 0x80 && head.byteLength === 4)
      return { format: 'legacy' as const, ...(await openLegacy(source, size, limits)) };
    throw pytorchError(
      'pytorch-unknown-format',
      `${source.name} is neither a zip archive nor a pickle stream (it starts ${[...head].map((byte) => byte.toString(16).padStart(2, '0')).join(' ')}); expected a file written by torch.save.`,
    );
  });
  return createReader(source, value.format, collectTensors(value.root, limits), value.locate);
}

async function openZip(source: ByteSource, size: number, limits: PytorchLimits) {
  const entries = await readZipDirectory(source, size, limits);
  const pickles = [...entries.keys()].filter(
    (name) => name.endsWith('/data.pkl') && name.indexOf('/') === name.length - 9,
  );
  if (pickles.length !== 1) {
    throw pytorchError(
      'pytorch-invalid-zip',
      `The zip archive holds ${pickles.length} "<name>/data.pkl" entries; a torch.save file holds exactly one.`,
    );
  }
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const dataEnd = size;
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const at = await zipEntryDataOffset(source, byteorder, dataEnd);
    const text = new TextDecoder().decode(await source.read(at, Math.min(byteorder.size, 16)));
    if (text !== 'little')
      throw pytorchError(
        'pytorch-invalid-zip',
        `The checkpoint is ${text.slice(0, 16)}-endian; only little-endian is read.`,
      );
  }
  const pickle = entries.get(pickles[0]!)!;
  if (pickle.size > limits.maxPickleSize) {
    throw pytorchError(
      'pytorch-limit-exceeded',
      `data.pkl is ${pickle.size} bytes, above maxPickleSize (${limits.maxPickleSize}).`,
    );
  }
  const at = await zipEntryDataOffset(source, pickle, dataEnd);
  const bytes = await source.read(at, pickle.size);
  if (bytes.byteLength < pickle.size)
    throw pytorchError('pytorch-truncated', 'data.pkl is truncated.');
  const { value, storages } = unpickleCheckpoint(bytes, { limits, complete: true });
  for (const storage of storages.values()) {
    const entry = entries.get(`${prefix}data/${storage.key}`);
    if (!entry) {
      throw pytorchError(
        'pytorch-invalid-zip',
        `The pickle refers to storage "${storage.key}", but the archive has no ${prefix}data/${storage.key}.`,
      );
    }
    const needed = storage.numel * PYTORCH_DTYPE_SIZES[storage.dtype];
    if (entry.size < needed) {
      throw pytorchError(
        'pytorch-invalid-tensor',
        `Storage "${storage.key}" declares ${storage.numel} ${storage.dtype} elements (${needed} bytes), but its entry holds ${entry.size} bytes.`,
      );
    }
  }
  const offsets = new Map<string, Promise<number>>();
  const locate: StorageLocator = (storage) => {
    let offset = offsets.get(storage.key);
    if (!offset) {
      offset = zipEntryDataOffset(source, entries.get(`${prefix}data/${storage.key}`)!, dataEnd);
      offsets.set(storage.key, offset);
    }
    return offset;
  };
  return { root: value, locate };
}

/** Reads one pickle at `offset`, fetching more bytes until it ends (bounded by maxPickleSize). */
async function readPickleAt<T>(
  source: ByteSource,
  offset: number,
  size: number,
  limits: PytorchLimits,
  parse: (bytes: Uint8Array, complete: boolean) => T & { length: number },
): Promise<T & { length: number }> {
  for (let window = FIRST_WINDOW; ; window *= 4) {
    const wanted = Math.min(window, limits.maxPickleSize, size - offset);
    const bytes = await source.read(offset, Math.max(0, wanted));
    const complete = offset + bytes.byteLength >= size || bytes.byteLength < wanted;
    try {
      return parse(bytes, complete);
    } catch (error) {
      if (!(error instanceof NeedMoreBytes)) throw error;
      if (wanted >= limits.maxPickleSize) {
        throw pytorchError(
          'pytorch-limit-exceeded',
          `A pickle at byte ${offset} runs past maxPickleSize (${limits.maxPickleSize} bytes).`,
          offset,
        );
      }
    }
  }
}

async function openLegacy(source: ByteSource, size: number, limits: PytorchLimits) {
  const none = new Map();
  let offset = 0;
  const plain = async (what: string) => {
    const { value, length } = await readPickleAt(source, offset, size, limits, (bytes, complete) =>
      unpickle(bytes, { globals: none, limits, complete }),
    );
    offset += length;
    return { value, what };
  };
  const magic = await plain('magic number');
  if (magic.value !== LEGACY_MAGIC) {
    throw pytorchError(
      'pytorch-unknown-format',
      `${source.name} is a pickle, but not one torch.save wrote (its first value is not PyTorch's magic number). A plain pickle may hold anything; it is not read.`,
    );
  }
  const protocol = await plain('protocol version');
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw pytorchError(
      'pytorch-unknown-format',
      `Legacy PyTorch protocol ${String(protocol.value)} is not read (only ${LEGACY_PROTOCOL}).`,
    );
  }
  const info = await plain('system info');
  if (!(info.value instanceof Map) || info.value.get('little_endian') !== true)
    throw pytorchError('pytorch-unknown-format', 'The checkpoint was not saved little-endian.');
  const main = await readPickleAt(source, offset, size, limits, (bytes, complete) =>
    unpickleCheckpoint(bytes, { limits, complete }),
  );
  offset += main.length;
  const keys = await plain('storage keys');
  if (!Array.isArray(keys.value) || keys.value.some((key) => typeof key !== 'string'))
    throw pytorchError('pytorch-invalid-pickle', 'The storage key list is not a list of strings.');
  const offsets = new Map<string, number>();
  for (const key of keys.value as string[]) {
    const storage = main.storages.get(key);
    if (!storage || storage.view)
      throw pytorchError(
        'pytorch-invalid-pickle',
        `Storage "${key.slice(0, 60)}" is listed but never described.`,
      );
    if (offset + 8 > size)
      throw pytorchError('pytorch-truncated', `The file ends before storage "${key}".`, offset);
    const header = await source.read(offset, 8);
    const count = new DataView(header.buffer, header.byteOffset, 8).getBigInt64(0, true);
    if (count !== BigInt(storage.numel)) {
      throw pytorchError(
        'pytorch-invalid-tensor',
        `Storage "${key}" holds ${count} elements in the file, but the pickle declares ${storage.numel}.`,
        offset,
      );
    }
    const bytes = storage.numel * PYTORCH_DTYPE_SIZES[storage.dtype];
    if (offset + 8 + bytes > size) {
      throw pytorchError(
        'pytorch-truncated',
        `Storage "${key}" needs ${bytes} bytes at ${offset + 8}, but the file is ${size} bytes.`,
        offset,
      );
    }
    offsets.set(key, offset + 8);
    offset += 8 + bytes;
  }
  for (const storage of main.storages.values()) {
    if (!offsets.has(storage.view?.key ?? storage.key))
      throw pytorchError(
        'pytorch-invalid-pickle',
        `Storage "${storage.key}" has no bytes in the file.`,
      );
  }
  const locate: StorageLocator = async (storage) => offsets.get(storage.key)!;
  return { root: main.value as PickleValue, locate };
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    if (shape[dim] !== 1 && stride[dim] !== expected) return false;
    expected *= shape[dim]!;
  }
  return true;
}

function createReader(
  source: ByteSource,
  format: 'zip' | 'legacy',
  tensors: Map<string, PytorchTensorRef>,
  locate: StorageLocator,
): PytorchFile {
  const get = (name: string) => {
    const tensor = tensors.get(name);
    if (!tensor) {
      throw pytorchError(
        'pytorch-invalid-tensor',
        `No tensor named "${name.slice(0, 200)}" in ${source.name}.`,
      );
    }
    return tensor;
  };
  const info = (name: string): PytorchTensorInfo => {
    const tensor = get(name);
    return {
      name,
      dtype: tensor.storage.dtype,
      shape: tensor.shape,
      stride: tensor.stride,
      storageOffset: tensor.storageOffset,
      storageKey: tensor.storage.view?.key ?? tensor.storage.key,
    };
  };
  return {
    format,
    source,
    names: [...tensors.keys()],
    tensor: info,
    shape: (name) => get(name).shape,
    dtype: (name) => get(name).storage.dtype,
    async readFloat32(name) {
      const tensor = get(name);
      const { storage, shape, stride } = tensor;
      const size = PYTORCH_DTYPE_SIZES[storage.dtype];
      const base = storage.view
        ? (await locate({ ...storage, key: storage.view.key })) + storage.view.offset * size
        : await locate(storage);
      const count = shape.reduce((product, dim) => product * dim, 1);
      if (count === 0) return new Float32Array(0);
      let span = 1;
      for (let dim = 0; dim < shape.length; dim++) span += (shape[dim]! - 1) * stride[dim]!;
      const contiguous = isContiguous(shape, stride);
      const length = contiguous ? count : span;
      const bytes = await source.read(base + tensor.storageOffset * size, length * size);
      if (bytes.byteLength < length * size) {
        throw pytorchError(
          'pytorch-truncated',
          `Tensor "${name}" needs ${length * size} bytes, but the file ends first.`,
        );
      }
      const values = pytorchBytesToFloat32(bytes, storage.dtype, length);
      if (contiguous) return values;
      // A view (transpose, slice): gather its elements in row-major order.
      const output = new Float32Array(count);
      const index = new Array<number>(shape.length).fill(0);
      for (let element = 0; element < count; element++) {
        let at = 0;
        for (let dim = 0; dim < shape.length; dim++) at += index[dim]! * stride[dim]!;
        output[element] = values[at]!;
        for (let dim = shape.length - 1; dim >= 0; dim--) {
          if (++index[dim]! < shape[dim]!) break;
          index[dim] = 0;
        }
      }
      return output;
    },
    close: () => source.close(),
  };
}
