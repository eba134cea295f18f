import { LlmrError } from '@llmr/core';
import type { ServerBackend } from '../backend';

/** The model by id or alias, or a `model-not-found` error (404). */
export async function requireModel(backend: ServerBackend, name: string) {
  const model = await backend.getModel(name);
  if (!model)
    throw new LlmrError({
      code: 'model-not-found',
      message: `The model \`${name}\` does not exist.`,
    });
  return model;
}
