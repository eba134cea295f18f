/**
 * @llmr/engine-worker — run a model off the main thread: a LoaderV1 whose models live in
 * a pool of Node worker threads that grows with queue depth, shrinks when idle, forwards
 * aborts and replaces crashed workers.
 */

export {
  describeWorkerEngine,
  WORKER_ENGINE_NAME,
  workerEngineRow,
} from './worker-engine-row';
export { createWorkerLoader, type WorkerLoaderSettings, type WorkerModel } from './worker-loader';
export type { WorkerPoolStats } from './worker-pool';
