/**
 * An EngineV1 over any ONNX Runtime JavaScript binding (onnxruntime-node or onnxruntime-web): sessions
 * from bytes or a path, plain tensors in and out, every failure an LlmrError. This module
 * never imports a runtime itself: each engine package passes its own (lazily imported or
 * injected) as `ort`, so importing it loads no native binary and stays browser-safe.
 */
import {
  AbortError,
  type EngineSessionV1,
  type EngineV1,
  type EngineV1Capabilities,
  type EngineV1SessionOptions,
  LlmrError,
  LoadError,
  ModelDisposedError,
  type TensorV1,
} from '@llmr/core';
import {
  checkKnownProviders,
  ExecutionProviderUnavailableError,
  isProviderFailure,
  type KnownExecutionProvider,
  requestedDevices,
} from './execution-providers';
import {
  fromOrtTensor,
  type OrtTensorConstructor,
  type OrtTensorLike,
  toOrtTensor,
} from './ort-tensors';

/** The part of an ONNX Runtime module (onnxruntime-node / -web) the engine uses. */
export interface OrtModule {
  Tensor: OrtTensorConstructor;
  InferenceSession: {
    create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  env?: Record<string, unknown>;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** ONNX Runtime 1.21+. */
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputMetadata?: readonly OrtValueMetadata[];
  run(
    feeds: Record<string, OrtTensorLike>,
    options?: Record<string, unknown>,
  ): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

export interface OrtValueMetadata {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

/**
 * What llmr's ONNX engines add to EngineSessionV1: the declared type and shape of each
 * input and output (from the model), so a loader can make empty KV caches of the right
 * element type without parsing the file itself.
 */
export interface OrtEngineSession extends EngineSessionV1 {
  /**
   * Frees outputs that stayed on the device (`preferredOutputLocation: 'gpu-buffer'`)
   * once they are no longer fed back. A no-op for CPU tensors.
   */
  releaseTensors(tensors: readonly TensorV1[]): void;
  /** Copies a device-resident output to the CPU (a CPU tensor comes back as it is). */
  download(tensor: TensorV1): Promise<TensorV1>;
  readonly inputMetadata: readonly {
    name: string;
    type?: string;
    dims?: readonly (number | string)[];
  }[];
  readonly outputMetadata: readonly {
    name: string;
    type?: string;
    dims?: readonly (number | string)[];
  }[];
}

export type OrtModuleSource = OrtModule | (() => OrtModule | Promise<OrtModule>);

export interface OrtEngineDefinition {
  name: string;
  packageName: string;
  capabilities: EngineV1Capabilities;
  ort: OrtModuleSource;
  /**
   * Runs once on the loaded module before the first session, for settings that ONNX
   * Runtime keeps globally in `ort.env` (WASM threads, .wasm paths, WebGPU power).
   */
  configure?: (ort: OrtModule) => void | Promise<void>;
  /** Session options every session gets, before the per-session ones. */
  sessionOptions: (options: EngineV1SessionOptions) => Record<string, unknown>;
  /**
   * The execution providers the loaded runtime offers, when it can say (onnxruntime-node's
   * `listSupportedBackends`), so one it lacks is refused before a session is tried.
   */
  executionProviders?: (ort: OrtModule) => readonly KnownExecutionProvider[] | undefined;
}

function unwrap(module: unknown): OrtModule {
  const candidate = module as { default?: OrtModule } & OrtModule;
  return candidate.InferenceSession ? candidate : (candidate.default as OrtModule);
}

/** An EngineV1 whose sessions carry input/output metadata, plus access to the runtime. */
export type OrtEngine = Omit<EngineV1, 'createSession'> & {
  createSession(
    model: Uint8Array | string,
    options?: EngineV1SessionOptions,
  ): Promise<OrtEngineSession>;
  /** The loaded runtime module (loads it on first use). */
  runtime(): Promise<OrtModule>;
};

export function createOrtEngine(definition: OrtEngineDefinition): OrtEngine {
  let loading: Promise<OrtModule> | undefined;
  const runtime = () => {
    loading ??= (async () => {
      try {
        const source = definition.ort;
        const ort = unwrap(typeof source === 'function' ? await source() : source);
        await definition.configure?.(ort);
        return ort;
      } catch (error) {
        loading = undefined;
        throw new LlmrError({
          code: 'engine-runtime-missing',
          message: `${definition.name} needs ${definition.packageName}: install it (npm i ${definition.packageName}) or pass the module as \`ort\`. (${(error as Error).message})`,
          cause: error,
        });
      }
    })();
    return loading;
  };

  return {
    specificationVersion: 'v1',
    name: definition.name,
    capabilities: definition.capabilities,
    runtime,
    async isAvailable() {
      try {
        await runtime();
        return true;
      } catch {
        return false;
      }
    },
    async createSession(model, options = {}) {
      const ort = await runtime();
      const source = typeof model === 'string' ? model : `<${model.length} bytes>`;
      // One provider by name, for any engine; the CPU stays ONNX Runtime's fallback for
      // operators the provider lacks.
      const { executionProvider, ...rest } = options;
      const sessionOptions = {
        ...definition.sessionOptions(rest),
        ...(executionProvider !== undefined && executionProvider !== 'cpu'
          ? { executionProviders: [executionProvider] }
          : {}),
      };
      const devices = requestedDevices(sessionOptions.executionProviders);
      if (devices.length)
        checkKnownProviders(definition.name, devices, definition.executionProviders?.(ort));
      let session: OrtSession;
      try {
        session = await ort.InferenceSession.create(model, sessionOptions);
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        if (isProviderFailure(message, devices))
          throw new ExecutionProviderUnavailableError({
            engine: definition.name,
            provider: devices[0]!,
            reason: `ONNX Runtime says "${message.split('\n')[0]!.slice(0, 300)}"`,
            cause: error,
          });
        throw new LoadError({
          source,
          code: 'engine-invalid-model',
          message: `${definition.name} could not create a session from ${source}: ${(error as Error).message}`,
          cause: error,
        });
      }
      return wrapSession(definition.name, ort, session);
    },
  };
}

function metadata(values: readonly OrtValueMetadata[] | undefined) {
  return (values ?? []).map((value) => ({
    name: value.name,
    ...(value.isTensor && value.type ? { type: value.type } : {}),
    ...(value.isTensor && value.shape ? { dims: [...value.shape] } : {}),
  }));
}

/** Marks a TensorV1 whose data stayed on the device; its `data` is empty. */
export const DEVICE_LOCATION = Symbol.for('llmr.tensor.location');

/** True for an output an engine kept on the device (GPU buffer). */
export function isDeviceTensor(tensor: TensorV1): boolean {
  return (tensor as { [DEVICE_LOCATION]?: string })[DEVICE_LOCATION] !== undefined;
}

const EMPTY: Record<string, () => TensorV1['data']> = {
  float32: () => new Float32Array(0),
  float16: () => new Uint16Array(0),
  int64: () => new BigInt64Array(0),
  int32: () => new Int32Array(0),
  int8: () => new Int8Array(0),
  uint8: () => new Uint8Array(0),
  bool: () => new Uint8Array(0),
};

function wrapSession(engineName: string, ort: OrtModule, session: OrtSession): OrtEngineSession {
  let released = false;
  // Outputs left on the device, by the plain tensor handed out for them, so feeding one
  // back passes the device buffer itself (a KV cache never leaves the GPU).
  const onDevice = new Map<TensorV1, OrtTensorLike>();
  const handOut = (tensor: OrtTensorLike): TensorV1 => {
    const location = (tensor as { location?: string }).location;
    if (location === undefined || location === 'cpu' || location === 'cpu-pinned')
      return fromOrtTensor(tensor);
    const plain = {
      type: tensor.type as TensorV1['type'],
      dims: [...tensor.dims],
      data: (EMPTY[tensor.type] ?? EMPTY.float32!)(),
    };
    Object.defineProperty(plain, DEVICE_LOCATION, { value: location, enumerable: false });
    onDevice.set(plain, tensor);
    return plain;
  };
  const disposeAll = (tensors: Iterable<TensorV1>) => {
    for (const tensor of tensors) {
      onDevice.get(tensor)?.dispose?.();
      onDevice.delete(tensor);
    }
  };
  // Runs are queued: one ORT session runs one graph at a time here, so outputs never mix.
  let queue: Promise<unknown> = Promise.resolve();
  const disposed = () =>
    new ModelDisposedError({
      modelId: engineName,
      message: `This ${engineName} session has been released; create a new one to run the graph again.`,
    });

  return {
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    inputMetadata: metadata(session.inputMetadata),
    outputMetadata: metadata(session.outputMetadata),
    run(feeds, options = {}) {
      const task = queue.then(async () => {
        if (released) throw disposed();
        const signal = options.abortSignal;
        if (signal?.aborted) throw new AbortError({ cause: signal.reason });
        const inputs: Record<string, OrtTensorLike> = {};
        for (const [name, tensor] of Object.entries(feeds)) {
          const device = onDevice.get(tensor);
          if (isDeviceTensor(tensor) && !device) {
            throw new LlmrError({
              code: 'engine-tensor-released',
              message: `Input "${name}" is a device tensor that was released or came from another session.`,
            });
          }
          inputs[name] = device ?? toOrtTensor(ort.Tensor, name, tensor);
        }
        let outputs: Record<string, OrtTensorLike>;
        try {
          outputs = await session.run(inputs);
        } catch (error) {
          if (released) throw disposed();
          throw new LlmrError({
            code: 'engine-run-failed',
            message: `${engineName} failed to run the graph: ${(error as Error).message}`,
            cause: error,
          });
        }
        const result: Record<string, TensorV1> = {};
        for (const [name, tensor] of Object.entries(outputs)) result[name] = handOut(tensor);
        // A run cannot be interrupted inside ONNX Runtime; its result is dropped instead.
        if (signal?.aborted) {
          disposeAll(Object.values(result));
          throw new AbortError({ cause: signal.reason });
        }
        return result;
      });
      queue = task.catch(() => undefined);
      return task;
    },
    releaseTensors(tensors) {
      disposeAll(tensors);
    },
    async download(tensor) {
      const device = onDevice.get(tensor);
      if (!device) return tensor;
      const data = await (device as { getData?: () => Promise<unknown> }).getData?.();
      return fromOrtTensor({ type: device.type, dims: device.dims, data });
    },
    async release() {
      if (released) return;
      released = true;
      await queue;
      disposeAll([...onDevice.keys()]);
      await session.release();
    },
  };
}
