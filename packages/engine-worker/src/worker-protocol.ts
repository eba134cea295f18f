/** The messages between a pool and its workers; plain data so they clone across threads. */
import type { ModelV1CallOptions, ModelV1Info, ModelV1StreamPart } from '@llmr/core';

export interface WorkerSetup {
  /** A module specifier or URL the worker imports; its `loader` (or default) export is a LoaderV1. */
  loaderModule: string;
  exportName: string;
  source: string;
  loadOptions: Record<string, unknown>;
  /**
   * The model's bytes over a SharedArrayBuffer: every worker sees the same memory (a
   * SharedArrayBuffer is shared, never copied, when posted), so N workers cost one copy.
   */
  bytes?: Uint8Array;
}

export type ToWorker =
  // abortSignal is always undefined here: signals cannot cross threads; aborts are messages.
  { type: 'stream'; id: number; options: ModelV1CallOptions } | { type: 'abort'; id: number };

export interface SerializedError {
  name: string;
  code: string;
  message: string;
}

export type FromWorker =
  // sharedBytes: the byteLength of the SharedArrayBuffer-backed bytes the worker received.
  | { type: 'ready'; info: ModelV1Info; sharedBytes: number }
  | { type: 'load-failed'; error: SerializedError }
  | { type: 'part'; id: number; part: ModelV1StreamPart }
  | { type: 'end'; id: number };

export function serializeError(error: unknown): SerializedError {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  return {
    name: typeof record.name === 'string' ? record.name : 'Error',
    code: typeof record.code === 'string' ? record.code : 'worker-error',
    message: typeof record.message === 'string' ? record.message : String(error),
  };
}
