/**
 * The worker engine's row for the engine selector: the pool needs Node's worker_threads.
 * Deno and Bun provide a node:worker_threads too, but the pool is tested on Node only, so
 * there the row says so instead of claiming it.
 */
import { detectPlatform, type EngineRow, type PlatformCapabilities } from '@llmr/core';

export const WORKER_ENGINE_NAME = 'engine-worker';

export function describeWorkerEngine(
  platform: Pick<PlatformCapabilities, 'runtime' | 'workerThreads'>,
): EngineRow {
  const row = (available: boolean, reason: string): EngineRow => ({
    name: WORKER_ENGINE_NAME,
    device: 'cpu',
    available,
    reason,
  });
  if (platform.runtime !== 'node')
    return row(
      false,
      `the pool runs on Node's worker_threads; ${platform.runtime} is not Node (run the model on the calling thread instead)`,
    );
  if (!platform.workerThreads)
    return row(false, 'node:worker_threads cannot be loaded here (Node 18 or later has it)');
  return row(true, 'worker_threads pool: generation runs off the main thread');
}

/** The row for the platform this code runs on. */
export async function workerEngineRow(): Promise<EngineRow> {
  return describeWorkerEngine(await detectPlatform());
}
