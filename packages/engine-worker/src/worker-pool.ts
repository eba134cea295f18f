/**
 * A pool of worker threads that each hold the model: one request per worker at a time,
 * growing toward `maxWorkers` while requests queue and shrinking to `minWorkers` after
 * `idleTimeoutMs`. A worker that exits fails only its own request and is replaced.
 */
import { Worker } from 'node:worker_threads';
import {
  AbortError,
  GenerationError,
  InvalidArgumentError,
  LoadError,
  type ModelV1CallOptions,
  type ModelV1Info,
  type ModelV1StreamPart,
} from '@llmr/core';
import type { FromWorker, SerializedError, ToWorker, WorkerSetup } from './worker-protocol';

export interface WorkerPoolOptions {
  setup: WorkerSetup;
  /** The worker entry (worker-main.js). */
  script: URL | string;
  minWorkers: number;
  maxWorkers: number;
  idleTimeoutMs: number;
}

interface Job {
  id: number;
  options: ModelV1CallOptions;
  signal?: AbortSignal;
  controller: ReadableStreamDefaultController<ModelV1StreamPart>;
  finished: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  sharedBytes: number;
  job?: Job;
  idleTimer?: ReturnType<typeof setTimeout>;
}

export interface WorkerPoolStats {
  workers: number;
  /** Workers that have loaded the model. */
  ready: number;
  busy: number;
  queued: number;
  /** Aborted requests whose worker confirmed it stopped its stream (an aborted error). */
  abortsConfirmed: number;
  /** Workers that confirmed they read the model from the shared bytes. */
  workersOnSharedBytes: number;
}

export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private disposed = false;
  private abortsConfirmed = 0;
  private infoWaiters: Array<{ resolve(info: ModelV1Info): void; reject(error: unknown): void }> =
    [];
  info?: ModelV1Info;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Starts `minWorkers` (at least one) and resolves with the model info of the first ready. */
  start(): Promise<ModelV1Info> {
    const started = new Promise<ModelV1Info>((resolve, reject) =>
      this.infoWaiters.push({ resolve, reject }),
    );
    for (let index = 0; index < Math.max(1, this.options.minWorkers); index++) this.spawn();
    return started;
  }

  stats(): WorkerPoolStats {
    let busy = 0;
    let workersOnSharedBytes = 0;
    let ready = 0;
    for (const slot of this.slots) {
      if (slot.job) busy++;
      if (slot.ready) ready++;
      if (slot.sharedBytes > 0) workersOnSharedBytes++;
    }
    return {
      workers: this.slots.size,
      ready,
      busy,
      queued: this.queue.length,
      abortsConfirmed: this.abortsConfirmed,
      workersOnSharedBytes,
    };
  }

  /** The worker threads' ids, for tests and diagnostics. */
  threadIds(): number[] {
    return [...this.slots].map((slot) => slot.worker.threadId);
  }

  stream(options: ModelV1CallOptions): ReadableStream<ModelV1StreamPart> {
    const abortSignal = options.abortSignal;
    const rest: ModelV1CallOptions = { ...options, abortSignal: undefined };
    let job: Job | undefined;
    return new ReadableStream<ModelV1StreamPart>({
      start: (controller) => {
        job = {
          id: this.nextId++,
          options: rest,
          signal: abortSignal,
          controller,
          finished: false,
        };
        if (abortSignal?.aborted) {
          this.fail(job, new AbortError());
          return;
        }
        abortSignal?.addEventListener('abort', () => this.abort(job!), { once: true });
        this.queue.push(job);
        this.dispatch();
      },
      cancel: () => {
        if (job) this.abort(job);
      },
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const job of this.queue.splice(0))
      this.fail(job, new AbortError({ message: 'The pool was disposed.' }));
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
    this.slots.clear();
  }

  private abort(job: Job) {
    if (job.finished) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.fail(job, new AbortError());
      return;
    }
    // Running: the caller's stream ends now (parts already in flight between threads are
    // dropped); the worker aborts its own stream and stays busy until it says 'end'.
    this.fail(job, new AbortError());
    for (const slot of this.slots)
      if (slot.job === job)
        slot.worker.postMessage({ type: 'abort', id: job.id } satisfies ToWorker);
  }

  private fail(job: Job, error: unknown) {
    if (job.finished) return;
    job.finished = true;
    job.controller.error(error);
  }

  private spawn() {
    const { script } = this.options;
    // Worker takes a path or a URL object, not a file: URL string.
    const entry =
      typeof script === 'string' && script.startsWith('file:') ? new URL(script) : script;
    const worker = new Worker(entry, { workerData: this.options.setup });
    const slot: Slot = { worker, ready: false, sharedBytes: 0 };
    this.slots.add(slot);
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (error) => this.onExit(slot, error));
    worker.on('exit', (code) => this.onExit(slot, code));
  }

  private onMessage(slot: Slot, message: FromWorker) {
    if (message.type === 'ready') {
      slot.ready = true;
      slot.sharedBytes = message.sharedBytes;
      this.info ??= message.info;
      for (const waiter of this.infoWaiters.splice(0)) waiter.resolve(message.info);
      // A worker started for a queue that has since drained goes idle at once.
      this.release(slot);
    } else if (message.type === 'load-failed') {
      this.slots.delete(slot);
      void slot.worker.terminate();
      const error = new LoadError({
        source: this.options.setup.source,
        message: `The worker could not load ${this.options.setup.source}: ${message.error.message}`,
      });
      for (const waiter of this.infoWaiters.splice(0)) waiter.reject(error);
      if (this.slots.size === 0) for (const job of this.queue.splice(0)) this.fail(job, error);
    } else if (slot.job?.id === message.id) {
      const job = slot.job;
      if (message.type === 'part') {
        if (message.part.type === 'error') {
          const error = message.part.error as SerializedError;
          if (job.finished && error.code === 'aborted') this.abortsConfirmed++;
          this.fail(job, deserializeError(error, this.modelId()));
        } else if (!job.finished) job.controller.enqueue(message.part);
      } else {
        if (!job.finished) {
          job.finished = true;
          job.controller.close();
        }
        slot.job = undefined;
        this.release(slot);
      }
    }
  }

  private onExit(slot: Slot, reason: unknown) {
    if (!this.slots.delete(slot)) return;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    if (slot.job)
      this.fail(
        slot.job,
        new GenerationError({
          modelId: this.modelId(),
          code: 'worker-crashed',
          message: `The worker thread running this request died (${describe(reason)}); the pool replaces it. Retry the request.`,
          isRetryable: true,
        }),
      );
    if (this.disposed) return;
    if (!slot.ready) {
      // Died while loading: respawning would loop on the same fault, so report it instead.
      const error = new LoadError({
        source: this.options.setup.source,
        message: `A worker died while loading ${this.options.setup.source} (${describe(reason)}); check the loader module and that the model fits in memory.`,
      });
      for (const waiter of this.infoWaiters.splice(0)) waiter.reject(error);
      if (this.slots.size === 0) for (const job of this.queue.splice(0)) this.fail(job, error);
      return;
    }
    if (this.slots.size < Math.max(1, this.options.minWorkers) || this.queue.length > 0)
      this.spawn();
  }

  private release(slot: Slot) {
    if (this.disposed) return;
    this.dispatch();
    if (slot.job || this.slots.size <= this.options.minWorkers) return;
    slot.idleTimer = setTimeout(() => {
      if (slot.job || this.slots.size <= this.options.minWorkers) return;
      this.slots.delete(slot);
      void slot.worker.terminate();
    }, this.options.idleTimeoutMs);
    slot.idleTimer.unref?.();
  }

  private dispatch() {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (!slot.ready || slot.job) continue;
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({
        type: 'stream',
        id: job.id,
        options: job.options,
      } satisfies ToWorker);
    }
    // Grow by queue depth: one starting worker per queued request, up to maxWorkers.
    const starting = [...this.slots].filter((slot) => !slot.ready).length;
    let wanted = this.queue.length - starting;
    while (wanted-- > 0 && this.slots.size < this.options.maxWorkers) this.spawn();
  }

  private modelId(): string {
    return this.info?.id ?? this.options.setup.source;
  }
}

function describe(reason: unknown): string {
  if (typeof reason === 'number') return `exit code ${reason}`;
  return reason instanceof Error ? reason.message : String(reason);
}

/** Rebuilds the LlmrError class the worker threw, so callers can test it as usual. */
function deserializeError(error: SerializedError, modelId: string): Error {
  if (error.code === 'aborted') return new AbortError({ message: error.message });
  if (error.code === 'invalid-argument')
    return new InvalidArgumentError({ argument: 'options', message: error.message });
  return new GenerationError({ modelId, code: error.code, message: error.message });
}
