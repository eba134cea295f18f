/**
 * The context's sequences as a pool: a request takes a free sequence (preferring the one
 * whose cached tokens share the longest prefix with its prompt, so a conversation's next
 * turn reuses its KV cache), waits in a bounded queue when all are busy, and gets a
 * BusyError beyond the queue's limit.
 */
import { AbortError, BusyError } from '@llmr/core';
import type { LlamaContextSequence, Token } from 'node-llama-cpp';

interface Waiter {
  prompt: readonly number[];
  resolve: (sequence: LlamaContextSequence) => void;
  reject: (error: unknown) => void;
}

/** How many leading tokens two sequences share. */
export function sharedPrefix(cached: readonly number[], prompt: readonly number[]): number {
  const limit = Math.min(cached.length, prompt.length);
  let index = 0;
  while (index < limit && cached[index] === prompt[index]) index++;
  return index;
}

export function createSequencePool(sequences: LlamaContextSequence[], maxQueue: number) {
  const free = new Set(sequences);
  const queue: Waiter[] = [];
  // When each free sequence was last released: what idle-session swapping reads.
  const idleSince = new Map<LlamaContextSequence, number>(
    sequences.map((sequence) => [sequence, Date.now()]),
  );

  const pick = (prompt: readonly number[]) => {
    let best: LlamaContextSequence | undefined;
    let bestShared = -1;
    for (const sequence of free) {
      const shared = sharedPrefix(sequence.contextTokens as number[], prompt);
      if (shared > bestShared) {
        best = sequence;
        bestShared = shared;
      }
    }
    if (best) {
      free.delete(best);
      idleSince.delete(best);
    }
    return best;
  };

  return {
    get queued() {
      return queue.length;
    },
    get busy() {
      return sequences.length - free.size;
    },
    acquire(prompt: readonly number[], signal?: AbortSignal): Promise<LlamaContextSequence> {
      const sequence = pick(prompt);
      if (sequence) return Promise.resolve(sequence);
      if (queue.length >= maxQueue) return Promise.reject(new BusyError({ queueLimit: maxQueue }));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = { prompt, resolve, reject };
        queue.push(waiter);
        signal?.addEventListener(
          'abort',
          () => {
            const index = queue.indexOf(waiter);
            if (index >= 0) {
              queue.splice(index, 1);
              reject(new AbortError({ cause: signal.reason }));
            }
          },
          { once: true },
        );
      });
    },
    release(sequence: LlamaContextSequence) {
      const waiter = queue.shift();
      if (waiter) waiter.resolve(sequence);
      else {
        free.add(sequence);
        idleSince.set(sequence, Date.now());
      }
    },
    /** Free sequences with the time each became free (epoch ms). */
    idle(): [LlamaContextSequence, number][] {
      return [...idleSince];
    },
    /** Takes this sequence if it is free (for maintenance); give it back with `release`. */
    take(sequence: LlamaContextSequence): boolean {
      if (!free.delete(sequence)) return false;
      idleSince.delete(sequence);
      return true;
    },
    rejectAll(error: unknown) {
      for (const waiter of queue.splice(0)) waiter.reject(error);
    },
  };
}

export type SequencePool = ReturnType<typeof createSequencePool>;
export type { Token };
