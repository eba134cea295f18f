/**
 * Runs the steps of every live sequence on one DecoderForward. Steps queue in arrival
 * order; a prompt (prefill) runs alone, in chunks, and decode steps waiting together
 * run as one batch: one pass over the weights for all of them.
 */
import { AbortError, ModelDisposedError } from '@llmr/core';
import type { DecoderForward, ForwardRow, SequenceCache } from './decoder-forward';

interface Pending {
  cache: SequenceCache;
  tokens: readonly number[];
  signal?: AbortSignal;
  resolve: (logits: Float32Array) => void;
  reject: (error: unknown) => void;
}

export interface StepSchedulerOptions {
  modelId: string;
  /** Most decode steps in one batch. */
  maxBatchSize: number;
  /** Most prompt tokens in one forward call (bounds scratch memory). */
  prefillChunk: number;
}

export interface StepSchedulerStats {
  /** Forward calls. */
  runs: number;
  /** Forward calls that carried more than one sequence. */
  batchedRuns: number;
  largestBatch: number;
}

/** Yields to the event loop once, so other sequences can queue their next step. */
const yieldOnce = (): Promise<void> =>
  new Promise((resolve) => {
    const immediate = (globalThis as { setImmediate?: (callback: () => void) => void })
      .setImmediate;
    if (immediate) immediate(resolve);
    else setTimeout(resolve, 0);
  });

export class StepScheduler {
  private readonly queue: Pending[] = [];
  private running = false;
  private closed = false;
  /** Sequences currently generating (they may queue a step soon). */
  active = 0;
  readonly stats: StepSchedulerStats = { runs: 0, batchedRuns: 0, largestBatch: 0 };

  constructor(
    private readonly decoder: DecoderForward,
    private readonly options: StepSchedulerOptions,
  ) {}

  /** Feeds `tokens` to the sequence and resolves with the logits after the last one. */
  run(
    cache: SequenceCache,
    tokens: readonly number[],
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    if (this.closed)
      return Promise.reject(new ModelDisposedError({ modelId: this.options.modelId }));
    return new Promise((resolve, reject) => {
      this.queue.push({ cache, tokens, signal, resolve, reject });
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
        // share this pass over the weights instead of each paying for their own.
        if (this.active > 1 && this.queue.length < this.active) await yieldOnce();
        for (let index = this.queue.length - 1; index >= 0; index--) {
          const pending = this.queue[index]!;
          if (pending.signal?.aborted) {
            this.queue.splice(index, 1);
            pending.reject(new AbortError({ cause: pending.signal.reason }));
          }
        }
        const first = this.queue[0];
        if (!first) break;
        const isDecode = (pending: Pending) => pending.tokens.length === 1;
        let batch: Pending[];
        if (!isDecode(first)) batch = [this.queue.shift()!];
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
        this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
        if (batch.length > 1) this.stats.batchedRuns++;
        try {
          const logits = batch.length === 1 ? [await this.prefill(batch[0]!)] : this.decode(batch);
          batch.forEach((pending, index) => {
            if (pending.signal?.aborted)
              pending.reject(new AbortError({ cause: pending.signal.reason }));
            else pending.resolve(logits[index]!);
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private decode(batch: Pending[]): Float32Array[] {
    this.stats.runs++;
    return this.decoder.forward(
      batch.map((pending) => ({
        cache: pending.cache,
        token: pending.tokens[0]!,
        position: pending.cache.length,
        logits: true,
      })),
    );
  }

  /** A prompt in chunks; between chunks other work may not interleave, but aborts are seen. */
  private async prefill(pending: Pending): Promise<Float32Array> {
    const { cache, tokens } = pending;
    const chunk = this.options.prefillChunk;
    let logits: Float32Array | undefined;
    for (let start = 0; start < tokens.length; start += chunk) {
      if (pending.signal?.aborted) throw new AbortError({ cause: pending.signal.reason });
      const end = Math.min(tokens.length, start + chunk);
      const base = cache.length;
      const rows: ForwardRow[] = [];
      for (let index = start; index < end; index++)
        rows.push({
          cache,
          token: tokens[index]!,
          position: base + index - start,
          logits: index === tokens.length - 1,
        });
      this.stats.runs++;
      logits = this.decoder.forward(rows)[0] ?? logits;
      if (end < tokens.length) await yieldOnce();
    }
    return logits!;
  }
}
