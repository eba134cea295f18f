/**
 * An estimate of the memory a GGUF model needs before anything is loaded: the weights
 * (the file's tensor data), the KV cache for every sequence, and compute buffers. Used to
 * refuse, with a clear error, a model that will not fit instead of crashing the process.
 */
export interface MemoryEstimateInput {
  fileBytes: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  contextSize: number;
  sequences: number;
  vocabSize: number;
  batchSize: number;
  /** Bytes per KV element (2 for F16, the default). */
  kvBytes?: number;
}

export interface MemoryEstimate {
  weights: number;
  kvCache: number;
  compute: number;
  total: number;
}

export function estimateMemory(input: MemoryEstimateInput): MemoryEstimate {
  const kvBytes = input.kvBytes ?? 2;
  const kvCache =
    2 *
    input.layers *
    input.contextSize *
    input.sequences *
    input.kvHeads *
    input.headDim *
    kvBytes;
  // Logits for a batch plus scratch: llama.cpp's compute buffers scale with these.
  const compute = input.vocabSize * input.batchSize * 4 + 32 * 1024 * 1024;
  const weights = input.fileBytes;
  return { weights, kvCache, compute, total: weights + kvCache + compute };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
