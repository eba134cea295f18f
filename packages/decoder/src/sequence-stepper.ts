/**
 * What the scheduler and the generation loop need from a runtime: a forward pass over a
 * sequence's cache. `KvDecoder` is one (a graph session with Optimum's KV-cache feeds); a
 * runtime with its own forward pass and cache (e.g. @llmr/runtime-simple on WASM kernels)
 * is another, so both generate through the same loop.
 */

/** One step of one sequence: the tokens to feed and the cache they extend. */
export interface SequenceStep<Cache> {
  cache: Cache;
  /** Tokens to feed: the whole prompt (prefill) or the last token (decode). */
  tokens: readonly number[];
}

export interface SequenceStepper<Cache> {
  /** Runs one sequence's step; resolves with the logits after its last token. */
  step(item: SequenceStep<Cache>, abortSignal?: AbortSignal): Promise<Float32Array>;
  /** Runs several batchable steps in one pass; resolves with each one's logits, in order. */
  batchStep(items: readonly SequenceStep<Cache>[]): Promise<Float32Array[]>;
  /** Whether the step may share a batched pass with others (a decode step, typically). */
  isBatchable(item: SequenceStep<Cache>): boolean;
}
