/** Element types a tensor may hold (ONNX names). */
export type TensorV1Type =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int8'
  | 'uint8'
  | 'bool';

export type TensorV1Data =
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array;

/** A plain tensor: nothing engine-specific. float16/bfloat16 data is raw Uint16Array bits. */
export interface TensorV1 {
  type: TensorV1Type;
  dims: readonly number[];
  data: TensorV1Data;
}

export interface EngineV1Capabilities {
  device: 'cpu' | 'gpu' | 'npu';
  dtypes: readonly TensorV1Type[];
  /** Threads the engine will use, when it decides. */
  threads?: number;
}

export interface EngineV1SessionOptions {
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Names of outputs to keep on the device between runs (e.g. KV cache on GPU). */
  preferredOutputLocation?: Record<string, 'cpu' | 'gpu-buffer'>;
  /**
   * The device to run on, by execution provider name: `cpu` (default), `cuda`, `webgpu`,
   * ... An engine whose runtime lacks it refuses with `execution-provider-unavailable`.
   */
  executionProvider?: 'cpu' | 'cuda' | 'webgpu' | (string & {});
  [key: string]: unknown;
}

export interface EngineSessionV1 {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(
    feeds: Record<string, TensorV1>,
    options?: { abortSignal?: AbortSignal },
  ): Promise<Record<string, TensorV1>>;
  /** Frees the session. Later runs fail with ModelDisposedError. */
  release(): Promise<void>;
}

export interface EngineV1 {
  readonly specificationVersion: 'v1';
  readonly name: string;
  isAvailable(): Promise<boolean>;
  readonly capabilities: EngineV1Capabilities;
  createSession(
    model: Uint8Array | string,
    options?: EngineV1SessionOptions,
  ): Promise<EngineSessionV1>;
}
