/**
 * A LoaderV1 that loads models inside a pool of worker threads: the given loader module
 * runs in each worker, and the returned ModelV1 streams from whichever worker is free.
 */
import {
  collectStream,
  InvalidArgumentError,
  type LoaderV1,
  type LoaderV1LoadOptions,
  ModelDisposedError,
  type ModelV1,
  type ModelV1CallOptions,
} from '@llmr/core';
import { WorkerPool, type WorkerPoolStats } from './worker-pool';

export interface WorkerLoaderSettings {
  /** Module specifier or URL of a module whose `loader` export (or default) is a LoaderV1. */
  loaderModule: string;
  /** Export to use. Default `loader`. */
  exportName?: string;
  /** Default 1. Workers kept alive when idle. */
  minWorkers?: number;
  /** Default 4. Each worker holds its own copy of the model. */
  maxWorkers?: number;
  /** Idle workers above `minWorkers` stop after this long. Default 30 000 ms. */
  idleTimeoutMs?: number;
  /** Which sources to claim in canLoad. Default: every source, at low confidence. */
  canLoad?: (source: string) => boolean;
  /** The worker entry; default this package's worker-main.js. */
  workerScript?: URL | string;
  name?: string;
}

export interface WorkerModel extends ModelV1 {
  stats(): WorkerPoolStats;
  threadIds(): number[];
}

function positiveInteger(name: string, value: number) {
  if (!Number.isInteger(value) || value < 0)
    throw new InvalidArgumentError({
      argument: name,
      message: `${name} must be a non-negative integer; got ${value}.`,
      value,
    });
}

/**
 * The bytes over a SharedArrayBuffer: used in place when they already are, otherwise
 * copied once here, so that each worker gets a view of the same memory instead of its own
 * structured-cloned copy (or its own read of the file).
 */
function shareBytes(bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array))
    throw new InvalidArgumentError({
      argument: 'bytes',
      value: typeof bytes,
      message: `bytes must be a Uint8Array holding the model file; got ${typeof bytes}.`,
    });
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

export function createWorkerLoader(settings: WorkerLoaderSettings): LoaderV1 {
  const minWorkers = settings.minWorkers ?? 1;
  const maxWorkers = settings.maxWorkers ?? 4;
  positiveInteger('minWorkers', minWorkers);
  positiveInteger('maxWorkers', maxWorkers);
  if (maxWorkers < Math.max(1, minWorkers))
    throw new InvalidArgumentError({
      argument: 'maxWorkers',
      message: `maxWorkers (${maxWorkers}) must be at least minWorkers and at least 1.`,
      value: maxWorkers,
    });
  return {
    specificationVersion: 'v1',
    name: settings.name ?? 'worker',
    async canLoad(source) {
      return settings.canLoad ? (settings.canLoad(source) ? 0.5 : 0) : 0.1;
    },
    async doLoad(source, options: LoaderV1LoadOptions = {}) {
      // Functions, signals and engines cannot cross to a thread; send the plain options.
      const { abortSignal, onProgress, engine, bytes, ...loadOptions } = options;
      void onProgress;
      void engine;
      abortSignal?.throwIfAborted();
      const sharedBytes = bytes === undefined ? undefined : shareBytes(bytes);
      const pool = new WorkerPool({
        setup: {
          loaderModule: settings.loaderModule,
          exportName: settings.exportName ?? 'loader',
          source,
          loadOptions,
          ...(sharedBytes ? { bytes: sharedBytes } : {}),
        },
        script: settings.workerScript ?? new URL('./worker-main.js', import.meta.url),
        minWorkers,
        maxWorkers,
        idleTimeoutMs: settings.idleTimeoutMs ?? 30_000,
      });
      let info: ModelV1['info'];
      try {
        info = await pool.start();
      } catch (error) {
        await pool.dispose();
        throw error;
      }
      let disposed = false;
      const check = () => {
        if (disposed) throw new ModelDisposedError({ modelId: info.id });
      };
      const model: WorkerModel = {
        specificationVersion: 'v1',
        info,
        async doStream(callOptions: ModelV1CallOptions) {
          check();
          return { stream: pool.stream(callOptions) };
        },
        async doGenerate(callOptions: ModelV1CallOptions) {
          check();
          return collectStream(pool.stream(callOptions), { modelId: info.id });
        },
        stats: () => pool.stats(),
        threadIds: () => pool.threadIds(),
        async dispose() {
          if (disposed) return;
          disposed = true;
          await pool.dispose();
        },
      };
      return model;
    },
  };
}
