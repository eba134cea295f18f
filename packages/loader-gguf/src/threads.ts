/**
 * How many threads to give llama.cpp. Small models are dominated by synchronisation: a
 * 1M-parameter model decodes more than ten times slower on 2 threads than on 1, and far
 * slower again when threads outnumber cores. Large models are memory-bound and want every
 * core, but never more threads than cores.
 */
import { availableParallelism } from 'node:os';

/** Below this many parameters one thread is fastest. */
export const SINGLE_THREAD_PARAMETERS = 50_000_000;

export function chooseThreads(
  parameterCount: number | undefined,
  cores = availableParallelism(),
): number {
  if (parameterCount !== undefined && parameterCount < SINGLE_THREAD_PARAMETERS) return 1;
  return Math.max(1, cores);
}
