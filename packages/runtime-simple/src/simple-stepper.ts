/**
 * DecoderForward as @llmr/decoder's SequenceStepper: a prompt (prefill) runs alone, in
 * chunks, and decode steps of several sequences run as one batch: one pass over the
 * weights for all of them. The decoder's scheduler decides what runs together.
 */
import { AbortError } from '@llmr/core';
import { type SequenceStep, type SequenceStepper, yieldOnce } from '@llmr/decoder';
import type { DecoderForward, ForwardRow, SequenceCache } from './decoder-forward';

export class SimpleStepper implements SequenceStepper<SequenceCache> {
  constructor(
    private readonly decoder: DecoderForward,
    /** Most prompt tokens in one forward call (bounds scratch memory). */
    private readonly prefillChunk: number,
  ) {}

  /** Any single token, a prompt's first included: the forward pass takes rows of any position. */
  isBatchable(item: SequenceStep<SequenceCache>): boolean {
    return item.tokens.length === 1;
  }

  async batchStep(items: readonly SequenceStep<SequenceCache>[]): Promise<Float32Array[]> {
    return this.decoder.forward(
      items.map((item) => ({
        cache: item.cache,
        token: item.tokens[0]!,
        position: item.cache.length,
        logits: true,
      })),
    );
  }

  /** A prompt in chunks; between chunks other work may not interleave, but aborts are seen. */
  async step(item: SequenceStep<SequenceCache>, abortSignal?: AbortSignal): Promise<Float32Array> {
    const { cache, tokens } = item;
    const chunk = this.prefillChunk;
    let logits: Float32Array | undefined;
    for (let start = 0; start < tokens.length; start += chunk) {
      if (abortSignal?.aborted) throw new AbortError({ cause: abortSignal.reason });
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
      logits = this.decoder.forward(rows)[0] ?? logits;
      if (end < tokens.length) await yieldOnce();
    }
    return logits!;
  }
}
