/**
 * Runs the steps of every live sequence on one decoder session. Requests queue in
 * arrival order; a prompt (prefill) runs alone, and decode steps waiting together run
 * as one batch when batching is on. With batching off, steps still never interleave
 * inside one run: the session sees one request's step at a time.
 */
import { AbortError, ModelDisposedError } from '@llmr/core';
import type { KvCache } from './kv-decoder';
import type { SequenceStep, SequenceStepper } from './sequence-stepper';
import { yieldOnce } from './yield-once';

interface Pending<Cache> {
  item: SequenceStep<Cache>;
  signal?: AbortSignal;
  resolve: (logits: Float32Array) => void;
  reject: (error: unknown) => void;
}

export interface DecodeSchedulerOptions {
  batching: boolean;
  maxBatchSize: number;
  modelId: string;
}

export interface DecodeSchedulerStats {
  runs: number;
  batchedRuns: number;
  largestBatch: number;
}

export class DecodeScheduler<Cache = KvCache> {
  private readonly queue: Pending<Cache>[] = [];
  private running = false;
  private closed = false;
  /** Sequences currently generating (they may queue a step soon). */
  active = 0;
  readonly stats: DecodeSchedulerStats = { runs: 0, batchedRuns: 0, largestBatch: 0 };

  constructor(
    private readonly decoder: SequenceStepper<Cache>,
    private readonly options: DecodeSchedulerOptions,
  ) {}

  run(item: SequenceStep<Cache>, signal?: AbortSignal): Promise<Float32Array> {
    if (this.closed)
      return Promise.reject(new ModelDisposedError({ modelId: this.options.modelId }));
    return new Promise((resolve, reject) => {
      this.queue.push({ item, signal, resolve, reject });
      if (!this.running) void this.loop();
    });
  }

  close(): void {
    this.closed = true;
    for (const pending of this.queue.splice(0))
      pending.reject(new ModelDisposedError({ modelId: this.options.modelId }));
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        // Other live sequences are about to ask for their next step: let them, so they
        // share this run instead of each waiting for a run of its own.
        if (this.options.batching && this.active > 1 && this.queue.length < this.active)
          await yieldOnce();
        for (let index = this.queue.length - 1; index >= 0; index--) {
          const pending = this.queue[index]!;
          if (pending.signal?.aborted) {
            this.queue.splice(index, 1);
            pending.reject(new AbortError({ cause: pending.signal.reason }));
          }
        }
        const first = this.queue[0];
        if (!first) break;
        const isDecode = (pending: Pending<Cache>) => this.decoder.isBatchable(pending.item);
        let batch: Pending<Cache>[];
        if (!this.options.batching || !isDecode(first)) batch = [this.queue.shift()!];
        else {
          batch = [];
          for (
            let index = 0;
            index < this.queue.length && batch.length < this.options.maxBatchSize;
          ) {
            if (isDecode(this.queue[index]!)) batch.push(...this.queue.splice(index, 1));
            else index++;
          }
        }
        this.stats.runs++;
        if (batch.length > 1) this.stats.batchedRuns++;
        this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
        try {
          const signal = batch.length === 1 ? batch[0]!.signal : undefined;
          const rows =
            batch.length === 1
              ? [await this.decoder.step(batch[0]!.item, signal)]
              : await this.decoder.batchStep(batch.map((pending) => pending.item));
          batch.forEach((pending, index) => {
            if (pending.signal?.aborted)
              pending.reject(new AbortError({ cause: pending.signal.reason }));
            else pending.resolve(rows[index]!);
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
