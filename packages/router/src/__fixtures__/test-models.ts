/** Small wrappers over the mock model for router tests: scripted failures and changed info. */
import type { ModelV1, ModelV1Info } from '@llmr/core';
import { createMockModel, type MockModelSettings } from '@llmr/loader-mock';

export interface CountingModel extends ModelV1 {
  calls: number;
  disposed: boolean;
}

/**
 * A mock model whose first calls throw the queued errors (from doStream and
 * doGenerate), whose info may be overridden, and which counts calls.
 */
export function createTestModel(
  settings: MockModelSettings & { info?: Partial<ModelV1Info>; errors?: unknown[] } = {},
): CountingModel {
  const { info, errors = [], ...mock } = settings;
  const inner = createMockModel(mock);
  const queue = [...errors];
  const model: CountingModel = {
    specificationVersion: 'v1',
    info: { ...inner.info, ...info },
    tokenizer: inner.tokenizer,
    calls: 0,
    disposed: false,
    async doStream(options) {
      model.calls++;
      if (queue.length > 0) throw queue.shift();
      return inner.doStream(options);
    },
    async doGenerate(options) {
      model.calls++;
      if (queue.length > 0) throw queue.shift();
      return inner.doGenerate(options);
    },
    doEmbed: inner.doEmbed?.bind(inner),
    async dispose() {
      model.disposed = true;
      await inner.dispose();
    },
  };
  return model;
}

export async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const parts: T[] = [];
  const reader = stream.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) return parts;
    parts.push(value);
  }
}

export function textOf(parts: readonly { type: string; delta?: string }[]): string {
  return parts.map((part) => (part.type === 'text-delta' ? (part.delta ?? '') : '')).join('');
}
