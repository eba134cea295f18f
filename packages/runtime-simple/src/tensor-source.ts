/**
 * One view over the two weight formats: a tensor by its Hugging Face name, with a 2-D
 * shape (rows, cols; cols contiguous), its storage kind, and lazy reads. GGUF names and
 * ggml's reversed dims are mapped here so the rest of the runtime sees one layout.
 */
import { dequantize, GgmlType, type GgufFile, ggufTensorName } from '@llmr/gguf';
import type { SafetensorsCheckpoint } from '@llmr/safetensors';

/** Storage the kernels use directly; `other` is converted at load. */
export type StorageKind = 'f32' | 'f16' | 'q8_0' | 'q4_0' | 'other';

export interface RawTensor {
  name: string;
  rows: number;
  cols: number;
  kind: StorageKind;
  /** The stored bytes (only this tensor's range is read). */
  readBytes(): Promise<Uint8Array>;
  readFloat32(): Promise<Float32Array>;
}

export interface TensorSource {
  /** `model.layers.0.self_attn.q_proj.weight` style names. */
  get(name: string): RawTensor | undefined;
  close(): Promise<void>;
}

const GGML_KINDS: Partial<Record<number, StorageKind>> = {
  [GgmlType.F32]: 'f32',
  [GgmlType.F16]: 'f16',
  [GgmlType.Q8_0]: 'q8_0',
  [GgmlType.Q4_0]: 'q4_0',
};

export function ggufTensorSource(file: GgufFile): TensorSource {
  return {
    get(name) {
      const mapped = ggufTensorName(name);
      const info = mapped === undefined ? undefined : file.getTensor(mapped);
      if (!info) return undefined;
      const cols = info.dims[0] ?? 1;
      return {
        name: info.name,
        rows: info.elementCount / cols,
        cols,
        kind: GGML_KINDS[info.type] ?? 'other',
        readBytes: () => file.readTensorBytes(info),
        readFloat32: async () =>
          dequantize(await file.readTensorBytes(info), info.type, info.elementCount),
      };
    },
    close: () => file.close(),
  };
}

export function safetensorsTensorSource(checkpoint: SafetensorsCheckpoint): TensorSource {
  return {
    get(name) {
      const info = checkpoint.getTensor(name);
      if (!info) return undefined;
      const cols = info.shape.at(-1) ?? 1;
      return {
        name,
        rows: info.elementCount / cols,
        cols,
        kind: info.dtype === 'F32' ? 'f32' : info.dtype === 'F16' ? 'f16' : 'other',
        readBytes: () => checkpoint.readTensorBytes(name),
        readFloat32: () => checkpoint.readTensorFloat32(name),
      };
    },
    close: () => checkpoint.close(),
  };
}
