/**
 * Lends one loaded model for what needs the model itself rather than a routed generation
 * (its tokenizer, its info): a model id, an alias of one, or a route (or `auto`) with a
 * single model. The lease holds the model loaded until the caller's function settles.
 */
import { InvalidArgumentError, type ModelV1 } from '@llmr/core';
import type { RouterRuntime } from '../router-runtime';
import { targetModelIds } from '../routing/target-model-ids';

export async function withModel<T>(
  runtime: RouterRuntime,
  name: string,
  use: (model: ModelV1, modelId: string) => Promise<T> | T,
): Promise<T> {
  runtime.assertAlive();
  const ids = targetModelIds(runtime, name);
  if (ids.length !== 1)
    throw new InvalidArgumentError({
      argument: 'model',
      value: name,
      message: `"${name}" routes over ${ids.length} models (${ids.join(', ')}); name one of them.`,
    });
  const modelId = ids[0]!;
  const lease = await runtime.pool.acquire(modelId);
  try {
    return await use(lease.model, modelId);
  } finally {
    lease.release();
  }
}
